package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/jackc/pgx/v5"

	"github.com/jusb/portal/db/dbtest"
	"github.com/jusb/portal/handlers/email"
	"github.com/jusb/portal/handlers/password"
)

// settings are the environment variables loadConfig reads.
var settings = []string{"ADDR", "DATABASE_URL", "APP_DATABASE_URL", "STAFF_DATABASE_URL",
	"PORTAL_ENV", "TRUSTED_PROXY", "LOG_LEVEL", "DEMO_PASSWORD", "STORAGE", "FILES_DIR",
	"UPLOAD_MAX_BYTES", "UPLOAD_ALLOWED_TYPES", "PUBLIC_URL", "SMTP_HOST", "SMTP_PORT",
	"SMTP_USERNAME", "SMTP_PASSWORD", "SMTP_FROM", "SMTP_TLS"}

// setEnv clears every setting for the test, then sets env.
func setEnv(t *testing.T, env map[string]string) {
	t.Helper()
	for _, name := range settings {
		t.Setenv(name, "")
	}
	for name, v := range env {
		t.Setenv(name, v)
	}
}

// useDatabase gives the test a fresh database, and a directory for the files that
// seed-demo stores, and points the settings at them.
func useDatabase(t *testing.T) dbtest.URLs {
	t.Helper()
	urls := dbtest.New(t)
	setEnv(t, map[string]string{"DATABASE_URL": urls.Owner, "APP_DATABASE_URL": urls.App,
		"STAFF_DATABASE_URL": urls.Staff, "FILES_DIR": t.TempDir()})
	return urls
}

// runCommand runs the command line args with stdin and returns what it printed.
func runCommand(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(stdin), &out)
	return out.String(), err
}

// mustRun runs args and fails the test if the command fails.
func mustRun(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	out, err := runCommand(t, stdin, args...)
	if err != nil {
		t.Fatalf("portal %s: %v", strings.Join(args, " "), err)
	}
	return out
}

type orgRow struct {
	Slug, Name string
	IsStaff    bool
}

type userRow struct {
	Email, Name, Role, Org string
	IsActive               bool
	SessionVersion         int32
	PasswordHash           string
}

// dbState is every organization and user, in a stable order.
type dbState struct {
	Orgs  []orgRow
	Users []userRow
}

// state reads dbState as portal_staff: the owner cannot, as row-level security is
// forced on it too.
func state(t *testing.T, urls dbtest.URLs) dbState {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, urls.Staff)
	if err != nil {
		t.Fatalf("connect as portal_staff: %v", err)
	}
	defer conn.Close(ctx)

	var s dbState
	rows, _ := conn.Query(ctx, `SELECT slug, name, is_staff FROM organization ORDER BY slug`)
	s.Orgs, err = pgx.CollectRows(rows, pgx.RowToStructByPos[orgRow])
	if err != nil {
		t.Fatalf("read organizations: %v", err)
	}
	rows, _ = conn.Query(ctx, `
		SELECT u.email, u.name, u.role, o.slug, u.is_active, u.session_version,
		       u.password_hash
		FROM app_user u JOIN organization o ON o.id = u.org_id
		ORDER BY u.email`)
	s.Users, err = pgx.CollectRows(rows, pgx.RowToStructByPos[userRow])
	if err != nil {
		t.Fatalf("read users: %v", err)
	}
	return s
}

// user returns the user with email in s, or fails the test.
func (s dbState) user(t *testing.T, email string) userRow {
	t.Helper()
	i := slices.IndexFunc(s.Users, func(u userRow) bool { return u.Email == email })
	if i < 0 {
		t.Fatalf("no user %s in %+v", email, s.Users)
	}
	return s.Users[i]
}

// verify reports whether pw matches hash. Verify reads the cost from the hash, so the
// hasher's own (cheap) parameters do not matter.
func verify(t *testing.T, hash, pw string) error {
	t.Helper()
	h, err := password.NewHasher(password.Params{Memory: 64, Time: 1, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	return h.Verify(context.Background(), hash, pw)
}

// checkOneLine fails the test unless err is one line that contains want.
func checkOneLine(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("error = nil, want one containing %q", want)
	}
	if msg := err.Error(); !strings.Contains(msg, want) || strings.Contains(msg, "\n") {
		t.Errorf("error = %q, want one line containing %q", msg, want)
	}
}

func TestRunUsage(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		env       map[string]string
		wantUsage bool
		wantErr   string
		wantOut   string
	}{
		{name: "no command", args: nil, wantUsage: true, wantErr: "no command"},
		{name: "unknown command without settings", args: []string{"frobnicate"},
			wantUsage: true, wantErr: `unknown command "frobnicate"`},
		{name: "org without subcommand", args: []string{"org"}, wantUsage: true,
			wantErr: `unknown command "org"`},
		{name: "unknown org subcommand", args: []string{"org", "delete"}, wantUsage: true,
			wantErr: `unknown command "org"`},
		{name: "user without subcommand", args: []string{"user"}, wantUsage: true,
			wantErr: `unknown command "user"`},
		{name: "help without settings", args: []string{"help"}, wantOut: usage},
		{name: "--help", args: []string{"--help"}, wantOut: usage},
		{name: "serve with an unknown flag", args: []string{"serve", "--port", "80"},
			env:       map[string]string{"DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"},
			wantUsage: true, wantErr: "serve: flag provided but not defined: -port"},
		{name: "seed-demo with an argument", args: []string{"seed-demo", "now"},
			env:       map[string]string{"DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"},
			wantUsage: true, wantErr: `seed-demo: unexpected argument "now"`},
		{name: "known command without settings", args: []string{"seed-demo"},
			wantErr: "set DATABASE_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setEnv(t, tt.env)
			out, err := runCommand(t, "", tt.args...)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("error = %v, want nil", err)
				}
			} else {
				checkOneLine(t, err, tt.wantErr)
			}
			if got := errors.Is(err, errUsage); got != tt.wantUsage {
				t.Errorf("usage error: %t, want %t (error %v)", got, tt.wantUsage, err)
			}
			if diff := cmp.Diff(tt.wantOut, out); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOrgCreate(t *testing.T) {
	urls := useDatabase(t)
	mustRun(t, "", "org", "create", "--name", "Globex", "--slug", "globex")

	tests := []struct {
		name      string
		args      []string
		wantErr   string // empty for success
		wantUsage bool
		wantOut   string // a regular expression
		created   []orgRow
	}{
		{name: "name missing", args: []string{"--slug", "acme"}, wantErr: "--name is required"},
		{name: "name blank", args: []string{"--name", "  ", "--slug", "acme"},
			wantErr: "--name is required"},
		{name: "name too long", args: []string{"--name", strings.Repeat("n", 201), "--slug",
			"acme"}, wantErr: "--name is longer than 200 characters"},
		{name: "slug missing", args: []string{"--name", "Acme"}, wantErr: "--slug is required"},
		{name: "slug with capital and symbol", args: []string{"--name", "Acme", "--slug",
			"Acme!"}, wantErr: `--slug "Acme!" must be 1 to 40 lowercase letters`},
		{name: "slug with leading hyphen", args: []string{"--name", "Acme", "--slug=-x"},
			wantErr: `--slug "-x" must be`},
		{name: "slug with trailing hyphen", args: []string{"--name", "Acme", "--slug", "x-"},
			wantErr: `--slug "x-" must be`},
		{name: "slug of 41 characters", args: []string{"--name", "Acme", "--slug",
			strings.Repeat("a", 41)}, wantErr: "must be 1 to 40"},
		{name: "duplicate slug", args: []string{"--name", "Globex Two", "--slug", "globex"},
			wantErr: `an organization with slug "globex" exists already`},
		{name: "unquoted name with a space", args: []string{"--slug", "acme", "--name",
			"Acme", "Corp"}, wantUsage: true, wantErr: `unexpected argument "Corp"`},
		{name: "unknown flag", args: []string{"--name", "Acme", "--slug", "acme", "--stuff"},
			wantUsage: true, wantErr: "flag provided but not defined: -stuff"},
		{name: "created", args: []string{"--name", "Acme Corp", "--slug", "acme"},
			wantOut: `^created organization Acme Corp \(acme\) with id [0-9a-f-]{36}\n$`,
			created: []orgRow{{Slug: "acme", Name: "Acme Corp"}}},
		{name: "name trimmed, slug of 40", args: []string{"--name", " Initech ", "--slug",
			strings.Repeat("i", 40)}, wantOut: `^created organization Initech \(i{40}\)`,
			created: []orgRow{{Slug: strings.Repeat("i", 40), Name: "Initech"}}},
		{name: "staff organization", args: []string{"--name", "JusB", "--slug", "jusb",
			"--staff"}, wantOut: `^created organization JusB \(jusb\)`,
			created: []orgRow{{Slug: "jusb", Name: "JusB", IsStaff: true}}},
		{name: "second staff organization", args: []string{"--name", "Other", "--slug",
			"other", "--staff"}, wantErr: `the slug "other" or the staff organization exists`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := state(t, urls)
			out, err := runCommand(t, "", append([]string{"org", "create"}, tt.args...)...)
			if tt.wantErr != "" {
				checkOneLine(t, err, tt.wantErr)
			} else if err != nil {
				t.Fatalf("error = %v, want nil", err)
			}
			if got := errors.Is(err, errUsage); got != tt.wantUsage {
				t.Errorf("usage error: %t, want %t", got, tt.wantUsage)
			}
			if !regexp.MustCompile(tt.wantOut).MatchString(out) ||
				(tt.wantOut == "" && out != "") {
				t.Errorf("output = %q, want a match for %q", out, tt.wantOut)
			}

			want := before
			want.Orgs = append(slices.Clone(before.Orgs), tt.created...)
			slices.SortFunc(want.Orgs, func(a, b orgRow) int {
				return strings.Compare(a.Slug, b.Slug)
			})
			if diff := cmp.Diff(want, state(t, urls)); diff != "" {
				t.Errorf("database (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUserCreate(t *testing.T) {
	urls := useDatabase(t)
	mustRun(t, "", "org", "create", "--name", "JusB Solutions", "--slug", "jusb", "--staff")
	mustRun(t, "", "org", "create", "--name", "Acme", "--slug", "acme")
	mustRun(t, "", "org", "create", "--name", "Globex", "--slug", "globex")
	mustRun(t, "taken password\n", "user", "create", "--org", "acme", "--email",
		"alice@acme.example", "--role", "client_admin")

	const pw = "correct horse battery"
	tests := []struct {
		name      string
		args      []string
		stdin     string
		wantErr   string // empty for success
		wantUsage bool
		wantOut   string
		created   *userRow // without its hash
		password  string   // that the created user's hash verifies
	}{
		{name: "password as a flag", stdin: pw + "\n", args: []string{"--org", "acme",
			"--email", "bob@acme.example", "--role", "client", "--password", pw},
			wantUsage: true, wantErr: "flag provided but not defined: -password"},
		{name: "no password on stdin", args: []string{"--org", "acme", "--email",
			"bob@acme.example", "--role", "client"}, wantErr: "at least 8 characters"},
		{name: "password too short", stdin: "short7!\n", args: []string{"--org", "acme",
			"--email", "bob@acme.example", "--role", "client"},
			wantErr: "password on standard input: Choose a password of at least 8 characters."},
		{name: "e-mail missing", stdin: pw, args: []string{"--org", "acme", "--role",
			"client"}, wantErr: `--email "" is not an e-mail address`},
		{name: "e-mail malformed", stdin: pw, args: []string{"--org", "acme", "--email",
			"bob.acme.example", "--role", "client"},
			wantErr: `--email "bob.acme.example" is not an e-mail address`},
		{name: "e-mail with a display name", stdin: pw, args: []string{"--org", "acme",
			"--email", "Bob <bob@acme.example>", "--role", "client"},
			wantErr: "is not an e-mail address"},
		{name: "e-mail too long", stdin: pw, args: []string{"--org", "acme", "--email",
			strings.Repeat("b", 250) + "@acme.example", "--role", "client"},
			wantErr: "--email is longer than 254 characters"},
		{name: "role missing", stdin: pw, args: []string{"--org", "acme", "--email",
			"bob@acme.example"}, wantErr: "--role is required"},
		{name: "role unknown", stdin: pw, args: []string{"--org", "acme", "--email",
			"bob@acme.example", "--role", "admin"}, wantErr: `--role "admin" must be client`},
		{name: "org missing", stdin: pw, args: []string{"--email", "bob@acme.example",
			"--role", "client"}, wantErr: "--org is required"},
		{name: "org unknown", stdin: pw, args: []string{"--org", "initech", "--email",
			"bob@acme.example", "--role", "client"},
			wantErr: `no organization with slug "initech"`},
		{name: "jusb_admin into a client organization", stdin: pw, args: []string{"--org",
			"acme", "--email", "bob@acme.example", "--role", "jusb_admin"},
			wantErr: `role jusb_admin does not fit organization "acme"`},
		{name: "client into the staff organization", stdin: pw, args: []string{"--org",
			"jusb", "--email", "bob@jusb.example", "--role", "client"},
			wantErr: `role client does not fit organization "jusb"`},
		{name: "duplicate e-mail", stdin: pw, args: []string{"--org", "acme", "--email",
			"alice@acme.example", "--role", "client"},
			wantErr: "a user with e-mail alice@acme.example exists already"},
		{name: "duplicate e-mail in capitals, other organization", stdin: pw,
			args: []string{"--org", "globex", "--email", "ALICE@acme.example", "--role",
				"client"}, wantErr: "a user with e-mail alice@acme.example exists already"},
		{name: "unquoted name with a space", stdin: pw, args: []string{"--org", "acme",
			"--name", "Bob", "Brown", "--email", "bob@acme.example", "--role", "client"},
			wantUsage: true, wantErr: `unexpected argument "Brown"`},
		{name: "client, name from the e-mail", stdin: pw + "\n", args: []string{"--org",
			"acme", "--email", "bob@acme.example", "--role", "client"},
			wantOut: "created client bob <bob@acme.example> in acme\n",
			created: &userRow{Email: "bob@acme.example", Name: "bob", Role: "client",
				Org: "acme", IsActive: true, SessionVersion: 1}, password: pw},
		{name: "capitals in the e-mail, CRLF after the password", stdin: "  spaced out  \r\n",
			args: []string{"--org", "globex", "--email", "Carol@Globex.Example", "--role",
				"client_admin", "--name", "Carol Chen"},
			wantOut: "created client_admin Carol Chen <carol@globex.example> in globex\n",
			created: &userRow{Email: "carol@globex.example", Name: "Carol Chen",
				Role: "client_admin", Org: "globex", IsActive: true, SessionVersion: 1},
			password: "  spaced out  "},
		{name: "jusb_admin into the staff organization", stdin: "Grüße aus Zürich 🔑",
			args: []string{"--org", "jusb", "--email", "jess@jusb.example", "--role",
				"jusb_admin"},
			wantOut: "created jusb_admin jess <jess@jusb.example> in jusb\n",
			created: &userRow{Email: "jess@jusb.example", Name: "jess", Role: "jusb_admin",
				Org: "jusb", IsActive: true, SessionVersion: 1},
			password: "Grüße aus Zürich 🔑"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := state(t, urls)
			out, err := runCommand(t, tt.stdin,
				append([]string{"user", "create"}, tt.args...)...)
			if tt.wantErr != "" {
				checkOneLine(t, err, tt.wantErr)
			} else if err != nil {
				t.Fatalf("error = %v, want nil", err)
			}
			if got := errors.Is(err, errUsage); got != tt.wantUsage {
				t.Errorf("usage error: %t, want %t", got, tt.wantUsage)
			}
			if diff := cmp.Diff(tt.wantOut, out); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}

			after := state(t, urls)
			want := before
			if tt.created != nil {
				got := after.user(t, tt.created.Email)
				checkLiveHash(t, got.PasswordHash, tt.password)
				err := verify(t, got.PasswordHash, tt.password+"x")
				if !errors.Is(err, password.ErrMismatch) {
					t.Errorf("hash verifies another password: %v", err)
				}
				created := *tt.created
				created.PasswordHash = got.PasswordHash
				want.Users = append(slices.Clone(before.Users), created)
				slices.SortFunc(want.Users, func(a, b userRow) int {
					return strings.Compare(a.Email, b.Email)
				})
			}
			if diff := cmp.Diff(want, after); diff != "" {
				t.Errorf("database (-want +got):\n%s", diff)
			}
		})
	}
}

// checkLiveHash checks that hash is an argon2id hash with the live parameters that
// verifies pw.
func checkLiveHash(t *testing.T, hash, pw string) {
	t.Helper()
	p := password.DefaultParams
	prefix := fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$", p.Memory, p.Time, p.Threads)
	if !strings.HasPrefix(hash, prefix) {
		t.Errorf("hash %q does not start with %q", hash, prefix)
	}
	if err := verify(t, hash, pw); err != nil {
		t.Errorf("hash does not verify the password given: %v", err)
	}
}

// demoUsers are the sign-ins seed-demo promises.
var demoUsers = []userRow{
	{Email: "admin@jusb.example", Name: "Jess Admin", Role: "jusb_admin", Org: "jusb"},
	{Email: "alice@acme.example", Name: "Alice Anders", Role: "client_admin", Org: "acme"},
	{Email: "bob@acme.example", Name: "Bob Brown", Role: "client", Org: "acme"},
	{Email: "carol@globex.example", Name: "Carol Chen", Role: "client_admin", Org: "globex"},
	{Email: "dave@globex.example", Name: "Dave Diaz", Role: "client", Org: "globex"},
}

// people is what a demo user's sign-in depends on, without hash and session version.
func people(users []userRow) []userRow {
	out := make([]userRow, len(users))
	for i, u := range users {
		out[i] = userRow{Email: u.Email, Name: u.Name, Role: u.Role, Org: u.Org}
	}
	return out
}

func TestSeedDemo(t *testing.T) {
	wantOrgs := []orgRow{{Slug: "acme", Name: "Acme"}, {Slug: "globex", Name: "Globex"},
		{Slug: "jusb", Name: "JusB Solutions", IsStaff: true}}
	signIn := regexp.MustCompile(`(?m)^  (\S+@\S+) +(\S+) +(.+)$`)

	t.Run("twice gives the same rows", func(t *testing.T) {
		urls := useDatabase(t)
		first := mustRun(t, "", "seed-demo")
		once := state(t, urls)
		second := mustRun(t, "", "seed-demo")
		twice := state(t, urls)

		if diff := cmp.Diff(once, twice); diff != "" {
			t.Errorf("second run changed the database (-first +second):\n%s", diff)
		}
		if diff := cmp.Diff(first, second); diff != "" {
			t.Errorf("second run printed otherwise (-first +second):\n%s", diff)
		}
		if diff := cmp.Diff(wantOrgs, once.Orgs); diff != "" {
			t.Errorf("organizations (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(demoUsers, people(once.Users)); diff != "" {
			t.Errorf("users (-want +got):\n%s", diff)
		}
		var printed []string
		for _, m := range signIn.FindAllStringSubmatch(first, -1) {
			printed = append(printed, m[1]+" "+m[2])
		}
		var want []string
		for _, u := range demoUsers {
			want = append(want, u.Email+" "+u.Role)
		}
		if diff := cmp.Diff(want, printed); diff != "" {
			t.Errorf("printed sign-ins (-want +got):\n%s\noutput:\n%s", diff, first)
		}
		for _, u := range once.Users {
			checkLiveHash(t, u.PasswordHash, defaultDemoPassword)
			if !u.IsActive {
				t.Errorf("%s is inactive", u.Email)
			}
		}
	})

	t.Run("DEMO_PASSWORD is used, and a new one replaces it", func(t *testing.T) {
		urls := useDatabase(t)
		t.Setenv("DEMO_PASSWORD", "first demo password")
		out := mustRun(t, "", "seed-demo")
		if !strings.Contains(out, "first demo password") {
			t.Errorf("output does not name the password:\n%s", out)
		}
		first := state(t, urls)
		for _, u := range first.Users {
			checkLiveHash(t, u.PasswordHash, "first demo password")
		}

		t.Setenv("DEMO_PASSWORD", "second demo password")
		mustRun(t, "", "seed-demo")
		for _, u := range state(t, urls).Users {
			checkLiveHash(t, u.PasswordHash, "second demo password")
			// A changed password ends the user's sessions.
			if was := first.user(t, u.Email).SessionVersion; u.SessionVersion <= was {
				t.Errorf("%s session version %d, want above %d", u.Email,
					u.SessionVersion, was)
			}
		}
	})

	t.Run("restores what was changed", func(t *testing.T) {
		urls := useDatabase(t)
		mustRun(t, "", "seed-demo")
		conn, err := pgx.Connect(context.Background(), urls.Staff)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		_, err = conn.Exec(context.Background(), `
			UPDATE app_user SET role = 'client_admin', name = 'Robert', is_active = false
			WHERE email = 'bob@acme.example';
			UPDATE organization SET name = 'Acme Renamed' WHERE slug = 'acme'`)
		if err != nil {
			t.Fatal(err)
		}

		mustRun(t, "", "seed-demo")
		got := state(t, urls)
		if diff := cmp.Diff(wantOrgs, got.Orgs); diff != "" {
			t.Errorf("organizations (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(demoUsers, people(got.Users)); diff != "" {
			t.Errorf("users (-want +got):\n%s", diff)
		}
		if bob := got.user(t, "bob@acme.example"); !bob.IsActive {
			t.Error("bob is still inactive")
		}
	})

	refusals := []struct {
		name    string
		env     map[string]string
		wantErr string
	}{
		{name: "production", env: map[string]string{"PORTAL_ENV": "production"},
			wantErr: "refusing to load demo data with PORTAL_ENV=production"},
		{name: "DEMO_PASSWORD too short", env: map[string]string{"DEMO_PASSWORD": "demo"},
			wantErr: "DEMO_PASSWORD: Choose a password of at least 8 characters."},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			urls := useDatabase(t)
			for name, v := range tt.env {
				t.Setenv(name, v)
			}
			out, err := runCommand(t, "", "seed-demo")
			checkOneLine(t, err, tt.wantErr)
			if out != "" {
				t.Errorf("output = %q, want none", out)
			}
			got := state(t, urls)
			if diff := cmp.Diff(dbState{}, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("database (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadConfig(t *testing.T) {
	const owner = "postgres://owner:secret@db.example:5433/portal?sslmode=require"
	base := config{
		Addr:         "127.0.0.1:8080",
		OwnerURL:     owner,
		AppURL:       "postgres://portal_app@db.example:5433/portal?sslmode=require",
		StaffURL:     "postgres://portal_staff@db.example:5433/portal?sslmode=require",
		DemoPassword: defaultDemoPassword,
		LogLevel:     slog.LevelInfo,
	}
	tests := []struct {
		name    string
		env     map[string]string
		want    config
		wantErr string
	}{
		{name: "defaults, role URLs from the owner's without its password",
			env: map[string]string{"DATABASE_URL": owner}, want: base},
		{name: "every setting", env: map[string]string{
			"DATABASE_URL": owner, "ADDR": ":9000", "PORTAL_ENV": "production",
			"TRUSTED_PROXY": "true", "LOG_LEVEL": "debug", "DEMO_PASSWORD": "demo password",
			"APP_DATABASE_URL": "postgres://app:pw@a/p", "STAFF_DATABASE_URL": "postgres://s@b/p",
		}, want: config{Addr: ":9000", OwnerURL: owner, AppURL: "postgres://app:pw@a/p",
			StaffURL: "postgres://s@b/p", Production: true, TrustedProxy: true,
			DemoPassword: "demo password", LogLevel: slog.LevelDebug}},
		{name: "role URLs without an owner URL", env: map[string]string{
			"APP_DATABASE_URL": "postgres://app@a/p", "STAFF_DATABASE_URL": "postgres://s@b/p",
		}, want: config{Addr: base.Addr, AppURL: "postgres://app@a/p",
			StaffURL: "postgres://s@b/p", DemoPassword: defaultDemoPassword}},
		{name: "postgresql scheme and a socket",
			env: map[string]string{"DATABASE_URL": "postgresql:///portal?host=/run/pg"},
			want: config{Addr: base.Addr, OwnerURL: "postgresql:///portal?host=/run/pg",
				AppURL:       "postgresql://portal_app@/portal?host=/run/pg",
				StaffURL:     "postgresql://portal_staff@/portal?host=/run/pg",
				DemoPassword: defaultDemoPassword}},
		{name: "TRUSTED_PROXY false", env: map[string]string{"DATABASE_URL": owner,
			"TRUSTED_PROXY": "false"}, want: base},
		{name: "PORTAL_ENV unknown", env: map[string]string{"DATABASE_URL": owner,
			"PORTAL_ENV": "staging"},
			wantErr: `PORTAL_ENV must be development or production, not "staging"`},
		{name: "PORTAL_ENV in capitals", env: map[string]string{"DATABASE_URL": owner,
			"PORTAL_ENV": "Production"}, wantErr: "PORTAL_ENV must be"},
		{name: "TRUSTED_PROXY not a boolean", env: map[string]string{"DATABASE_URL": owner,
			"TRUSTED_PROXY": "yes"}, wantErr: `TRUSTED_PROXY must be true or false, not "yes"`},
		{name: "LOG_LEVEL unknown", env: map[string]string{"DATABASE_URL": owner,
			"LOG_LEVEL": "loud"}, wantErr: "LOG_LEVEL"},
		{name: "no database", env: nil, wantErr: "set DATABASE_URL (or APP_DATABASE_URL)"},
		{name: "staff URL missing", env: map[string]string{"APP_DATABASE_URL": "postgres://a@b/c"},
			wantErr: "set DATABASE_URL (or STAFF_DATABASE_URL)"},
		{name: "not a postgres URL", env: map[string]string{
			"DATABASE_URL": "mysql://root@localhost/portal"},
			wantErr: "DATABASE_URL must be a postgres:// URL"},
		{name: "key-value form", env: map[string]string{
			"DATABASE_URL": "host=localhost user=owner dbname=portal"},
			wantErr: "DATABASE_URL must be a postgres:// URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setEnv(t, tt.env)
			got, err := loadConfig()
			if tt.wantErr != "" {
				checkOneLine(t, err, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatalf("loadConfig: %v", err)
			}
			// TestLoadMailSettings covers Mail.
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(config{}, "Mail")); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadMailSettings(t *testing.T) {
	smtp := func(c email.SMTPConfig) *email.SMTPConfig { return &c }
	tests := []struct {
		name       string
		env        map[string]string
		production bool
		want       mailSettings
		wantErr    string
	}{
		{name: "development defaults: links to ADDR, mail to the log",
			want: mailSettings{PublicURL: "http://127.0.0.1:8080"}},
		{name: "every setting", production: true, env: map[string]string{
			"PUBLIC_URL": "https://portal.example", "SMTP_HOST": "smtp.example",
			"SMTP_PORT": "2525", "SMTP_USERNAME": "u", "SMTP_PASSWORD": "p",
			"SMTP_FROM": "Portal <portal@example>", "SMTP_TLS": "implicit"},
			want: mailSettings{PublicURL: "https://portal.example", SMTP: smtp(
				email.SMTPConfig{Host: "smtp.example", Port: 2525, Username: "u",
					Password: "p", From: "Portal <portal@example>", TLS: email.TLSImplicit})}},
		{name: "STARTTLS required by default", env: map[string]string{
			"SMTP_HOST": "smtp.example", "SMTP_FROM": "portal@example"},
			want: mailSettings{PublicURL: "http://127.0.0.1:8080", SMTP: smtp(
				email.SMTPConfig{Host: "smtp.example", From: "portal@example",
					TLS: email.TLSMandatory})}},
		{name: "production needs https", production: true, env: map[string]string{
			"PUBLIC_URL": "http://portal.example", "SMTP_HOST": "smtp.example",
			"SMTP_FROM": "portal@example"}, wantErr: "PUBLIC_URL must start with https://"},
		{name: "production needs SMTP", production: true,
			env:     map[string]string{"PUBLIC_URL": "https://portal.example"},
			wantErr: "set SMTP_HOST"},
		{name: "public URL with a path", env: map[string]string{
			"PUBLIC_URL": "https://portal.example/x"}, wantErr: "PUBLIC_URL must be"},
		{name: "no from address", env: map[string]string{"SMTP_HOST": "smtp.example"},
			wantErr: "SMTP_FROM is required"},
		{name: "bad port", env: map[string]string{"SMTP_HOST": "smtp.example",
			"SMTP_FROM": "p@example", "SMTP_PORT": "smtp"}, wantErr: "SMTP_PORT must be"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setEnv(t, tt.env)
			got, err := loadMailSettings("127.0.0.1:8080")
			if err == nil && tt.production {
				err = got.checkProduction()
			}
			if tt.wantErr != "" {
				checkOneLine(t, err, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatalf("loadMailSettings: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("settings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRoleURL(t *testing.T) {
	tests := []struct {
		name    string
		set     string // the value of the role's own setting
		owner   string
		want    string
		wantErr string
	}{
		{name: "own setting wins", set: "postgres://app:pw@elsewhere/db",
			owner: "postgres://owner@db/portal", want: "postgres://app:pw@elsewhere/db"},
		{name: "user swapped, password dropped, rest kept",
			owner: "postgres://owner:s3cret@db:6432/portal?sslmode=verify-full&connect_timeout=5",
			want:  "postgres://portal_app@db:6432/portal?sslmode=verify-full&connect_timeout=5"},
		{name: "owner without a user", owner: "postgres://db/portal",
			want: "postgres://portal_app@db/portal"},
		{name: "nothing set", wantErr: "set DATABASE_URL (or TEST_ROLE_URL)"},
		{name: "unparsable owner URL", owner: "postgres://owner:%zz@db/portal",
			wantErr: "DATABASE_URL must be a postgres:// URL"},
		{name: "other scheme", owner: "http://db/portal",
			wantErr: "DATABASE_URL must be a postgres:// URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("TEST_ROLE_URL", tt.set)
			got, err := roleURL("TEST_ROLE_URL", tt.owner, "portal_app")
			if tt.wantErr != "" {
				checkOneLine(t, err, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatalf("roleURL: %v", err)
			}
			if got != tt.want {
				t.Errorf("roleURL = %q, want %q", got, tt.want)
			}
		})
	}
}
