package components

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// unescapedAllowed lists every use of templ's ways around its escaping, with why it is
// safe (SECURITY.md X3). A new use fails TestUnescapedOutputAllowlisted until it is
// added here with its reason.
var unescapedAllowed = map[string]string{
	"markdown.templ: templ.Raw(html)": "markdownBody's html is handlers/markdown.go's " +
		"output only: rendered from Markdown with raw HTML left out, then sanitized " +
		"with an allow-list policy",
	"account.templ: templ.SafeURL(v.QR)": "a data: URL of a PNG that the server drew " +
		"from the user's new TOTP key; no user input reaches it",
}

// TestUnescapedOutputAllowlisted reads the components' sources and fails on any use
// of templ.Raw, templ.SafeURL and their kin that unescapedAllowed does not list, and
// on a listed one that is gone (the list stays true).
func TestUnescapedOutputAllowlisted(t *testing.T) {
	bypass := regexp.MustCompile(
		`templ\.(Raw|SafeURL|SafeCSS|SafeCSSProperty|JSUnsafeFuncCall|JSExpression|` +
			`SafeScript|SafeScriptInline|NewOnceHandle)\([^)]*\)`)
	files, err := filepath.Glob("*")
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, f := range files {
		generated := strings.HasSuffix(f, "_templ.go")
		if generated || strings.HasSuffix(f, "_test.go") ||
			!(strings.HasSuffix(f, ".templ") || strings.HasSuffix(f, ".go")) {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range bypass.FindAll(src, -1) {
			use := f + ": " + string(m)
			found = append(found, use)
			if _, ok := unescapedAllowed[use]; !ok {
				t.Errorf("%s is not in unescapedAllowed: escape the value, or add it "+
					"there with the reason it is safe", use)
			}
		}
	}
	for use := range unescapedAllowed {
		if !slices.Contains(found, use) {
			t.Errorf("unescapedAllowed lists %s, which the sources no longer hold", use)
		}
	}
}
