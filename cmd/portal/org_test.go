package main

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

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
