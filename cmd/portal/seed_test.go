package main

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/jackc/pgx/v5"
)

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
