package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/jusb/portal/db"
)

// slugPattern matches organization.slug's check constraint.
var slugPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$`)

func createOrg(ctx context.Context, cfg config, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("org create", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	name := fs.String("name", "", "the organization's name")
	slug := fs.String("slug", "", "the organization's slug, as in /o/SLUG")
	staff := fs.Bool("staff", false, "make it the JusB staff organization")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := validateOrg(*name, *slug); err != nil {
		return fmt.Errorf("org create: %w", err)
	}

	store, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()

	var org db.Organization
	err = store.Staff(ctx, func(q *db.Queries) (err error) {
		org, err = q.CreateOrganizationGlobal(ctx, db.CreateOrganizationGlobalParams{
			Name: strings.TrimSpace(*name), Slug: *slug, IsStaff: *staff})
		return err
	})
	if db.IsUniqueViolation(err) {
		if *staff {
			return fmt.Errorf("org create: the slug %q or the staff organization exists "+
				"already", *slug)
		}
		return fmt.Errorf("org create: an organization with slug %q exists already", *slug)
	}
	if err != nil {
		return fmt.Errorf("org create: %w", err)
	}
	fmt.Fprintf(stdout, "created organization %s (%s) with id %s\n", org.Name, org.Slug, org.ID)
	return nil
}

func validateOrg(name, slug string) error {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return errors.New("--name is required")
	case len([]rune(name)) > 200:
		return errors.New("--name is longer than 200 characters")
	case slug == "":
		return errors.New("--slug is required")
	case !slugPattern.MatchString(slug):
		return fmt.Errorf("--slug %q must be 1 to 40 lowercase letters, digits and inner "+
			"hyphens", slug)
	}
	return nil
}

func openStore(ctx context.Context, cfg config) (*db.Store, error) {
	store, err := db.Open(ctx, db.PoolOptions{AppURL: cfg.AppURL, StaffURL: cfg.StaffURL,
		MaxConns: 2})
	if err != nil {
		return nil, fmt.Errorf("connect to database (is it migrated? try `make migrate`): %w",
			err)
	}
	return store, nil
}
