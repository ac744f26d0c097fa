package handlers_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/jusb/portal/db"
	"github.com/jusb/portal/db/dbtest"
	"github.com/jusb/portal/handlers"
	"github.com/jusb/portal/handlers/password"
)

// demoPassword is every seeded user's password.
const demoPassword = "correct horse battery"

// staffTOTPSecret is the two-factor key of the portal's staff member in browser tests.
const staffTOTPSecret = "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"

// chromiumPath finds Chromium: CHROMIUM_PATH, or chromium or chromium-browser on
// PATH. Without one the test is skipped, except under CI, where it fails.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM_PATH"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no Chromium found (CI is set, so this is a failure): " +
			"install chromium or set CHROMIUM_PATH")
	}
	t.Skip("no Chromium found: install chromium or set CHROMIUM_PATH")
	return ""
}

// startPortal serves the portal over plain HTTP on a fresh, seeded database. The
// portal's log is printed only when the test fails.
func startPortal(t *testing.T) *httptest.Server {
	t.Helper()
	store, _ := dbtest.Store(t, nil)
	hasher, err := password.NewHasher(password.Params{Memory: 64, Time: 1, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	hash, err := hasher.Hash(t.Context(), demoPassword)
	if err != nil {
		t.Fatal(err)
	}
	fix := dbtest.Seed(t, store, hash)
	// Staff must sign in with a second factor: the fixture's staff member has a known key.
	err = store.InOrg(t.Context(), fix.JusB.ID, func(q *db.Queries) error {
		return q.EnableUserTOTP(t.Context(), db.EnableUserTOTPParams{OrgID: fix.JusB.ID,
			UserID: fix.Admin.ID, Secret: staffTOTPSecret})
	})
	if err != nil {
		t.Fatal(err)
	}

	var logs bytes.Buffer
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("portal log:\n%s", logs.String())
		}
	})
	srv := handlers.New(handlers.Config{}, store, hasher, slog.New(slog.NewTextHandler(&logs,
		&slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(srv.Close)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts
}

// startBrowser starts a headless Chromium with a fresh profile and opens a tab. The
// whole test gets 60 seconds, so that a hang fails instead of blocking.
func startBrowser(t *testing.T, chromium string) (context.Context, *pageWatch) {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox, // the tests run as root
		// Some of these are defaults already; they are stated so that the test
		// does not depend on chromedp's list.
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(ctx)
	t.Cleanup(cancelTab)

	start := time.Now()
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", chromium, err)
	}
	t.Logf("started Chromium in %v", time.Since(start).Round(time.Millisecond))

	w := &pageWatch{}
	if err := chromedp.Listen(ctx, w.observe); err != nil {
		t.Fatalf("listen to the tab: %v", err)
	}
	return ctx, w
}
