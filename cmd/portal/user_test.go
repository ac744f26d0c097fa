package main

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jusb/portal/handlers/password"
)

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
