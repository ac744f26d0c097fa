package handlers_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// TestBrowserFiles uploads a file in a real Chromium and watches the progress bar
// move, downloads the file from the page and compares its SHA-256 with the
// original's, and deletes it. The upload is slowed to 1 MiB/s so that the progress
// shows. It fails on any JavaScript error or Content-Security-Policy violation.
func TestBrowserFiles(t *testing.T) {
	chromium := chromiumPath(t)
	portal := startPortal(t)
	ctx, watch := startBrowser(t, chromium)
	t.Cleanup(func() { watch.check(t) })

	const name = "Quarterly report.txt"
	content := reportText(t, 3<<20)
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(content)

	signInWithKeyboard(t, ctx, portal.URL, "alice@acme.example", demoPassword)
	do(t, ctx, "open the files", chromedp.Navigate(portal.URL+"/o/acme/files"),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=upload-form]")))
	checkHTMX(t, ctx)

	t.Run("upload with a progress bar", func(t *testing.T) {
		throttleUploads(t, ctx, 1<<20)
		do(t, ctx, "choose the file", chromedp.SetUploadFiles(chromedp.CSS("#upload-file"),
			[]string{path}))
		do(t, ctx, "press Upload", chromedp.Click(chromedp.CSS("[data-testid=upload-submit]")))
		do(t, ctx, "wait for the progress bar", chromedp.WaitVisible(chromedp.CSS(
			"[data-testid=upload-progress]")))
		midway := run(t, ctx, "wait for progress", chromedp.Poll[int](`(() => {
			const v = document.querySelector("#upload-progress").value;
			return v > 0 && v < 100 ? v : 0;
		})()`, chromedp.WithPollingTimeout(20*time.Second)))
		label := run(t, ctx, "read the percentage", chromedp.Text(chromedp.CSS(
			"[data-testid=upload-percent]")))
		t.Logf("progress seen at %d%% (label %q)", midway, label)
		saveScreenshot(t, ctx, "files-uploading.png")
		if !strings.HasSuffix(label, "%") {
			t.Errorf("percentage label = %q", label)
		}
		do(t, ctx, "wait for the upload to finish", chromedp.WaitVisible(chromedp.CSS(
			"[data-testid=upload-notice]")))
		throttleUploads(t, ctx, -1)

		notice := run(t, ctx, "read the notice", chromedp.Text(chromedp.CSS(
			"[data-testid=upload-notice]")))
		if notice != "Uploaded “"+name+"”." {
			t.Errorf("notice = %q", notice)
		}
		focused := activeID(t, ctx)
		if focused != "upload-file" {
			t.Errorf("after the upload the focus is on %q, want the file field", focused)
		}
		row := run(t, ctx, "read the first file", chromedp.TextContent(chromedp.CSS(
			"[data-testid=file-row]")))
		if !strings.Contains(row, name) || !strings.Contains(row, "3 MiB") ||
			!strings.Contains(row, "Alice Anders") {
			t.Errorf("first row = %q, want the new file, its size and uploader", row)
		}
		if got := pathOf(t, ctx); got != "/o/acme/files" {
			t.Errorf("path = %q: the page was left", got)
		}
		saveScreenshot(t, ctx, "files.png")
	})

	t.Run("a file the quota has no room for is refused before sending", func(t *testing.T) {
		// As if the organization had 10 bytes left: the form carries what is left.
		run(t, ctx, "shrink the room", chromedp.Evaluate[bool](`(() => {
			const form = document.querySelector("[data-testid=upload-form]");
			form.setAttribute("data-room-bytes", "10");
			return true; })()`))
		do(t, ctx, "choose the file", chromedp.SetUploadFiles(chromedp.CSS("#upload-file"),
			[]string{path}))
		do(t, ctx, "press Upload", chromedp.Click(chromedp.CSS("[data-testid=upload-submit]")),
			chromedp.WaitVisible(chromedp.CSS("[data-testid=upload-error]")))
		msg := run(t, ctx, "read the error", chromedp.Text(chromedp.CSS(
			"[data-testid=upload-error]")))
		if !strings.HasPrefix(msg, "Your organization's files are at their limit of 10 GiB") {
			t.Errorf("error = %q, want the quota's", msg)
		}
		hidden := run(t, ctx, "read the progress", chromedp.Evaluate[bool](
			`document.querySelector("[data-testid=upload-status]").hidden`))
		if !hidden {
			t.Error("the progress bar shows: the file is being sent")
		}
		do(t, ctx, "reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(
			"[data-testid=upload-form]")))
	})

	t.Run("download it intact", func(t *testing.T) {
		got := run(t, ctx, "fetch the file and hash it", chromedp.Evaluate[string](`(async () => {
			const link = document.querySelector(
				"[data-testid=file-row] [data-testid=file-download]");
			const resp = await fetch(link.href);
			const digest = await crypto.subtle.digest("SHA-256", await resp.arrayBuffer());
			const hex = Array.from(new Uint8Array(digest),
				b => b.toString(16).padStart(2, "0")).join("");
			return resp.status + " " + resp.headers.get("Content-Disposition") + " " + hex;
		})()`, chromedp.EvalAwaitPromise))
		want := fmt.Sprintf(`200 attachment; filename="%s"; filename*=UTF-8''%s %s`, name,
			strings.ReplaceAll(name, " ", "%20"), hex.EncodeToString(sum[:]))
		if got != want {
			t.Errorf("download:\n got %s\nwant %s", got, want)
		}
	})

	t.Run("delete it", func(t *testing.T) {
		acceptDialogs(t, ctx)
		do(t, ctx, "press Delete", chromedp.Click(chromedp.CSS(
			"[data-testid=file-row] [data-testid=file-delete]")),
			chromedp.WaitVisible(chromedp.CSS("[data-testid=file-deleted]")))
		do(t, ctx, "reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(
			"[data-testid=upload-form]")))
		list := run(t, ctx, "read the list", chromedp.TextContent(chromedp.CSS("#file-list")))
		if strings.Contains(list, name) {
			t.Errorf("after deleting, the list still shows %q: %q", name, list)
		}
	})

	t.Run("upload without JavaScript", func(t *testing.T) {
		const plain = "Minutes without scripts.txt"
		other := filepath.Join(t.TempDir(), plain)
		if err := os.WriteFile(other, reportText(t, 64<<10), 0o600); err != nil {
			t.Fatal(err)
		}
		scripts(t, ctx, false)
		defer scripts(t, ctx, true)
		do(t, ctx, "reload without scripts", chromedp.Reload(),
			chromedp.WaitVisible(chromedp.CSS("[data-testid=upload-form]")))
		do(t, ctx, "choose the file", chromedp.SetUploadFiles(chromedp.CSS("#upload-file"),
			[]string{other}))
		do(t, ctx, "press Upload", chromedp.Click(chromedp.CSS("[data-testid=upload-submit]")))
		// The page navigates to the answer while the poll runs: try again then.
		listed := chromedp.Poll[bool](`(() => {
			const row = document.querySelector("[data-testid=file-row]");
			return row !== null && row.textContent.includes("`+plain+`");
		})()`, chromedp.WithPollingTimeout(20*time.Second))
		for attempt := 1; ; attempt++ {
			_, err := chromedp.Run(ctx, listed)
			if err == nil {
				break
			}
			if attempt == 3 {
				t.Fatalf("wait for the list: %v", err)
			}
		}
		if got := pathOf(t, ctx); got != "/o/acme/files" {
			t.Errorf("after the upload the page is %q, want the files", got)
		}
		notice := run(t, ctx, "read the notice", chromedp.Text(chromedp.CSS(
			"[data-testid=upload-notice]")))
		if notice != "Uploaded “"+plain+"”." {
			t.Errorf("notice after the plain form's upload = %q", notice)
		}
	})
}

// reportText returns n bytes of text that differ from run to run.
func reportText(t *testing.T, n int) []byte {
	t.Helper()
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "line %06d %s\n", i, rand.Text())
	}
	return []byte(b.String()[:n])
}

// throttleUploads limits what the tab sends to bytesPerSecond; -1 lifts the limit.
func throttleUploads(t *testing.T, ctx context.Context, bytesPerSecond float64) {
	t.Helper()
	conditions := []*network.Conditions{
		{UploadThroughput: bytesPerSecond, DownloadThroughput: -1}}
	_, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule,
		network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: conditions})
	if err != nil {
		t.Fatalf("throttle uploads: %v", err)
	}
}

// acceptDialogs answers every confirm() of the tab with OK, as a user would.
func acceptDialogs(t *testing.T, ctx context.Context) {
	t.Helper()
	err := chromedp.Listen(ctx, func(ev any) {
		if _, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			go func() {
				_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog,
					page.HandleJavaScriptDialogParams{Accept: true})
			}()
		}
	})
	if err != nil {
		t.Fatalf("listen for dialogs: %v", err)
	}
}

// scripts turns the tab's JavaScript on or off, as a browser without it would be.
func scripts(t *testing.T, ctx context.Context, on bool) {
	t.Helper()
	_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled,
		emulation.SetScriptExecutionDisabledParams{Value: !on})
	if err != nil {
		t.Fatalf("turn scripts on=%v: %v", on, err)
	}
}
