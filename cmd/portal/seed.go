package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/google/uuid"

	"github.com/jusb/portal/db"
	"github.com/jusb/portal/handlers"
	"github.com/jusb/portal/handlers/password"
)

type demoOrg struct {
	name, slug string
	staff      bool
	users      []demoUser
}

type demoUser struct{ email, name, role string }

// demoData is what seed-demo creates. Later areas add their demo content here.
var demoData = []demoOrg{
	{name: "JusB Solutions", slug: "jusb", staff: true, users: []demoUser{
		{"admin@jusb.example", "Jess Admin", handlers.RoleJusbAdmin},
	}},
	{name: "Acme", slug: "acme", users: []demoUser{
		{"alice@acme.example", "Alice Anders", handlers.RoleClientAdmin},
		{"bob@acme.example", "Bob Brown", handlers.RoleClient},
	}},
	{name: "Globex", slug: "globex", users: []demoUser{
		{"carol@globex.example", "Carol Chen", handlers.RoleClientAdmin},
		{"dave@globex.example", "Dave Diaz", handlers.RoleClient},
	}},
}

// seedDemo creates the demo organizations and users, or brings them back to their
// demo state: running it twice changes nothing the second time.
func seedDemo(ctx context.Context, cfg config, log *slog.Logger, args []string,
	stdout io.Writer) error {
	fs := flag.NewFlagSet("seed-demo", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if cfg.Production {
		return errors.New("seed-demo: refusing to load demo data with PORTAL_ENV=production")
	}
	if err := password.Validate(cfg.DemoPassword); err != nil {
		return fmt.Errorf("seed-demo: DEMO_PASSWORD: %w", err)
	}

	store, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	hasher, err := password.NewHasher(password.DefaultParams)
	if err != nil {
		return err
	}

	err = store.Staff(ctx, func(q *db.Queries) error {
		w := demoWorld{orgs: map[string]db.Organization{}, users: map[string]uuid.UUID{}}
		for _, o := range demoData {
			if err := seedOrg(ctx, q, hasher, o, cfg.DemoPassword, w); err != nil {
				return fmt.Errorf("organization %s: %w", o.slug, err)
			}
		}
		for _, seed := range demoContent {
			if err := seed.fn(ctx, q, w); err != nil {
				return fmt.Errorf("%s: %w", seed.name, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("seed-demo: %w", err)
	}
	log.Info("demo data loaded")

	fmt.Fprintln(stdout, "Demo sign-ins (password: "+cfg.DemoPassword+"):")
	for _, o := range demoData {
		for _, u := range o.users {
			fmt.Fprintf(stdout, "  %-22s %-13s %s\n", u.email, u.role, o.name)
		}
	}
	fmt.Fprintln(stdout, "Staff set up two-factor sign-in (an authenticator app) at their "+
		"first sign-in.")
	return nil
}

// demoWorld is what the demo organizations and users came to be, for the content
// seeders: organizations by slug and user IDs by e-mail address.
type demoWorld struct {
	orgs  map[string]db.Organization
	users map[string]uuid.UUID
}

// demoSeeder adds one area's demo content. Each must be idempotent: it adds its
// content when the organization has none yet and leaves it alone otherwise.
type demoSeeder struct {
	name string
	fn   func(ctx context.Context, q *db.Queries, w demoWorld) error
}

// demoContent lists the areas' seeders; each area's seed file adds its own in init.
var demoContent []demoSeeder

func seedOrg(ctx context.Context, q *db.Queries, hasher *password.Hasher, o demoOrg,
	pw string, w demoWorld) error {
	org, err := q.UpsertOrganizationGlobal(ctx, db.UpsertOrganizationGlobalParams{
		Name: o.name, Slug: o.slug, IsStaff: o.staff})
	if err != nil {
		return err
	}
	w.orgs[o.slug] = org
	for _, u := range o.users {
		id, err := seedUser(ctx, q, hasher, org.ID, u, pw)
		if err != nil {
			return fmt.Errorf("user %s: %w", u.email, err)
		}
		w.users[u.email] = id
	}
	return nil
}

func seedUser(ctx context.Context, q *db.Queries, hasher *password.Hasher, org db.OrgID,
	u demoUser, pw string) (uuid.UUID, error) {
	existing, err := q.GetUserByEmailWithHash(ctx, db.GetUserByEmailWithHashParams{
		OrgID: org, Email: u.email})
	if errors.Is(err, db.ErrNotFound) {
		hash, err := hasher.Hash(ctx, pw)
		if err != nil {
			return uuid.UUID{}, err
		}
		created, err := q.CreateUser(ctx, db.CreateUserParams{OrgID: org, Email: u.email,
			Name: u.name, PasswordHash: hash, Role: u.role})
		return created.ID, err
	}
	if err != nil {
		return uuid.UUID{}, err
	}

	if err := q.UpdateUserProfile(ctx, db.UpdateUserProfileParams{OrgID: org,
		ID: existing.ID, Name: u.name, Role: u.role}); err != nil {
		return uuid.UUID{}, err
	}
	// Rehash only when the demo password changed, which also ends the user's sessions.
	if hasher.Verify(ctx, existing.PasswordHash, pw) == nil {
		return existing.ID, nil
	}
	hash, err := hasher.Hash(ctx, pw)
	if err != nil {
		return uuid.UUID{}, err
	}
	return existing.ID, q.UpdateUserPassword(ctx, db.UpdateUserPasswordParams{OrgID: org,
		ID: existing.ID, PasswordHash: hash})
}
