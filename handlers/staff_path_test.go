package handlers

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestStaffPathOnlyOnStaffRoutes reads the package's source: the staff path (the
// staff connection and the loaders built on it) is used by the staff view's files,
// whose routes are all Staff, and by the outbox worker and the sealing of TOTP keys at
// start (totp_seal.go), which run outside any request; nowhere else.
func TestStaffPathOnlyOnStaffRoutes(t *testing.T) {
	uses := regexp.MustCompile(`\.store\.(Staff|ReadStaff|OrganizationSummar\w*|` +
		`LoadGlobalActivity|ExportActivityGlobal|LoadUsersGlobal|Explain\w*)\(`)
	allowed := regexp.MustCompile(`^(admin\w*|outbox|totp_seal)\.go$`)
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || allowed.MatchString(f) {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if m := uses.Find(src); m != nil {
			t.Errorf("%s uses the staff path (%s) outside the staff view", f, m)
		}
	}

	env := newTestEnv(t, Config{})
	for _, rt := range env.srv.Routes() {
		if strings.HasPrefix(rt.Pattern, "/admin") != (rt.Access == Staff) {
			t.Errorf("%s %s: access %v; staff routes are the /admin ones", rt.Method,
				rt.Pattern, rt.Access)
		}
	}
}
