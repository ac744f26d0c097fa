package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/mail"
	"strings"

	"github.com/jusb/portal/db"
	"github.com/jusb/portal/handlers"
	"github.com/jusb/portal/handlers/password"
)

func createUser(ctx context.Context, cfg config, args []string, stdin io.Reader,
	stdout io.Writer) error {
	fs := flag.NewFlagSet("user create", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	slug := fs.String("org", "", "the slug of the user's organization")
	email := fs.String("email", "", "the user's e-mail address")
	role := fs.String("role", "", "client, client_admin or jusb_admin")
	name := fs.String("name", "", "the user's name (default: the e-mail's local part)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	u, err := validateUser(*slug, *email, *role, *name)
	if err != nil {
		return fmt.Errorf("user create: %w", err)
	}
	pw, err := readPassword(stdin)
	if err != nil {
		return fmt.Errorf("user create: %w", err)
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
	hash, err := hasher.Hash(ctx, pw)
	if err != nil {
		return fmt.Errorf("user create: %w", err)
	}

	var created db.CreateUserRow
	err = store.Staff(ctx, func(q *db.Queries) error {
		org, err := q.GetOrganizationBySlugGlobal(ctx,
			db.GetOrganizationBySlugGlobalParams{Slug: *slug})
		if errors.Is(err, db.ErrNotFound) {
			return inputError(fmt.Sprintf("no organization with slug %q", *slug))
		}
		if err != nil {
			return err
		}
		if org.IsStaff != (u.role == handlers.RoleJusbAdmin) {
			return inputError(fmt.Sprintf("role %s does not fit organization %q: jusb_admin "+
				"is for the staff organization, which has no other role", u.role, *slug))
		}
		created, err = q.CreateUser(ctx, db.CreateUserParams{OrgID: org.ID, Email: u.email,
			Name: u.name, PasswordHash: hash, Role: u.role})
		return err
	})
	switch {
	case db.IsUniqueViolation(err):
		return fmt.Errorf("user create: a user with e-mail %s exists already", u.email)
	case errors.As(err, new(inputError)):
		return fmt.Errorf("user create: %w", err)
	case err != nil:
		return fmt.Errorf("user create: %w", err)
	}
	fmt.Fprintf(stdout, "created %s %s <%s> in %s\n", created.Role, created.Name,
		created.Email, *slug)
	return nil
}

// inputError is a mistake in what the operator typed, worded for them.
type inputError string

func (e inputError) Error() string { return string(e) }

type newUser struct{ email, role, name string }

func validateUser(slug, email, role, name string) (newUser, error) {
	u := newUser{email: strings.ToLower(strings.TrimSpace(email)), role: role,
		name: strings.TrimSpace(name)}
	if slug == "" {
		return u, errors.New("--org is required")
	}
	addr, err := mail.ParseAddress(u.email)
	if u.email == "" || err != nil || addr.Address != u.email {
		return u, fmt.Errorf("--email %q is not an e-mail address", email)
	}
	if len(u.email) > 254 {
		return u, errors.New("--email is longer than 254 characters")
	}
	switch role {
	case handlers.RoleClient, handlers.RoleClientAdmin, handlers.RoleJusbAdmin:
	case "":
		return u, errors.New("--role is required (client, client_admin or jusb_admin)")
	default:
		return u, fmt.Errorf("--role %q must be client, client_admin or jusb_admin", role)
	}
	if u.name == "" {
		u.name, _, _ = strings.Cut(u.email, "@")
	}
	if len([]rune(u.name)) > 200 {
		return u, errors.New("--name is longer than 200 characters")
	}
	return u, nil
}

// readPassword reads the first line of stdin, so that a password never appears in a
// command line or the shell's history.
func readPassword(stdin io.Reader) (string, error) {
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from standard input: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if err := password.Validate(pw); err != nil {
		return "", fmt.Errorf("password on standard input: %w", err)
	}
	return pw, nil
}
