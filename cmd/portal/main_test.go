package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/jusb/portal/db/dbtest"
	"github.com/jusb/portal/handlers/password"
)

// settings are the environment variables loadConfig reads.
var settings = []string{"ADDR", "DATABASE_URL", "APP_DATABASE_URL", "STAFF_DATABASE_URL",
	"PORTAL_ENV", "TRUSTED_PROXY", "LOG_LEVEL", "DRAIN_WAIT", "TOTP_KEY", "TOTP_OLD_KEYS",
	"DEMO_PASSWORD", "STORAGE", "FILES_DIR", "UPLOAD_MAX_BYTES", "UPLOAD_ALLOWED_TYPES",
	"UPLOAD_ORG_QUOTA_BYTES", "UPLOAD_ORG_QUOTA_FILES", "PUBLIC_URL", "SMTP_HOST",
	"SMTP_PORT", "SMTP_USERNAME", "SMTP_PASSWORD", "SMTP_FROM", "SMTP_TLS"}

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
