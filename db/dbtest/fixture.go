package dbtest

import (
	"context"
	"testing"

	"github.com/jusb/portal/db"
)

// Fixture is the cast of most tests: the staff organization with one jusb_admin, and
// two client organizations, each with a client_admin and a client.
type Fixture struct {
	JusB, Acme, Globex db.Organization
	Admin              db.CreateUserRow // jusb_admin of JusB
	Alice, Bob         db.CreateUserRow // client_admin and client of Acme
	Carol, Dave        db.CreateUserRow // client_admin and client of Globex
}

// Seed creates the Fixture through the staff path. Every user gets passwordHash.
func Seed(t testing.TB, store *db.Store, passwordHash string) Fixture {
	t.Helper()
	ctx := context.Background()
	var f Fixture
	err := store.Staff(ctx, func(q *db.Queries) error {
		org := func(name, slug string, staff bool) db.Organization {
			o, err := q.CreateOrganizationGlobal(ctx, db.CreateOrganizationGlobalParams{
				Name: name, Slug: slug, IsStaff: staff})
			if err != nil {
				t.Fatalf("create organization %s: %v", slug, err)
			}
			return o
		}
		user := func(o db.Organization, email, name, role string) db.CreateUserRow {
			u, err := q.CreateUser(ctx, db.CreateUserParams{OrgID: o.ID, Email: email,
				Name: name, PasswordHash: passwordHash, Role: role})
			if err != nil {
				t.Fatalf("create user %s: %v", email, err)
			}
			return u
		}
		f.JusB = org("JusB Solutions", "jusb", true)
		f.Acme = org("Acme", "acme", false)
		f.Globex = org("Globex", "globex", false)
		f.Admin = user(f.JusB, "admin@jusb.example", "Jess Admin", "jusb_admin")
		f.Alice = user(f.Acme, "alice@acme.example", "Alice Anders", "client_admin")
		f.Bob = user(f.Acme, "bob@acme.example", "Bob Brown", "client")
		f.Carol = user(f.Globex, "carol@globex.example", "Carol Chen", "client_admin")
		f.Dave = user(f.Globex, "dave@globex.example", "Dave Diaz", "client")
		return nil
	})
	if err != nil {
		t.Fatalf("seed fixture: %v", err)
	}
	return f
}
