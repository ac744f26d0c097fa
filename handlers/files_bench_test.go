package handlers

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jusb/portal/handlers/storage"
)

// The file benchmarks run only with -bench. FILES_BENCH_BYTES sets the file size
// (256 MiB by default; 1073741824 for the 1 GB figure) and FILES_BENCH_DIR the
// directory on the disk under test (a temporary directory by default). Each runs
// its scenario and its baselines three times (FILES_BENCH_RUNS), interleaved, and
// reports the medians:
//
//	go test -run '^$' -bench 'FileUpload|FileDownload' -benchtime 1x ./handlers/

func benchBytes(b *testing.B) int64 {
	if v := os.Getenv("FILES_BENCH_BYTES"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1<<20 {
			b.Fatalf("FILES_BENCH_BYTES = %q: want a number of bytes of at least 1 MiB", v)
		}
		return n
	}
	return 256 << 20
}

func benchDir(b *testing.B) string {
	if d := os.Getenv("FILES_BENCH_DIR"); d != "" {
		dir, err := os.MkdirTemp(d, "files-bench-")
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = os.RemoveAll(dir) })
		return dir
	}
	return b.TempDir()
}

// benchPortal is the portal on local storage in dir, served over plain HTTP as in
// development, with a signed-in member's cookies.
type benchPortal struct {
	env     *testEnv
	url     string
	cookies string
	csrf    string
}

func newBenchPortal(b *testing.B, dir string, maxBytes int64) *benchPortal {
	local, err := storage.NewLocal(filepath.Join(dir, "files"))
	if err != nil {
		b.Fatal(err)
	}
	// The rows of the uploads stay, so the organization's quota is set out of reach.
	env := newEnv(b, Config{Files: FilesConfig{Storage: local, MaxBytes: maxBytes,
		PerUser: Rate{Count: 1000, Window: time.Minute}, OrgQuotaBytes: 1 << 50}}, nil)
	c := env.signedIn("alice@acme.example")
	csrf := c.csrfToken()
	var cookies []string
	for _, ck := range c.http.Jar.Cookies(mustURL(env.ts.URL)) {
		cookies = append(cookies, ck.Name+"="+ck.Value)
	}
	plain := httptest.NewServer(env.srv.Handler())
	b.Cleanup(plain.Close)
	return &benchPortal{env: env, url: plain.URL, cookies: strings.Join(cookies, "; "),
		csrf: csrf}
}

// pdfSource yields n bytes that start as a PDF and go on with random bytes (as a
// large compressed stream would), repeating a random block so it is cheap to make.
func pdfSource(b *testing.B, n int64) io.Reader {
	block := make([]byte, 1<<20)
	if _, err := rand.Read(block); err != nil {
		b.Fatal(err)
	}
	head := []byte("%PDF-1.7\n% bench\n")
	return io.LimitReader(io.MultiReader(bytes.NewReader(head), repeat(block)), n)
}

type repeater struct {
	block []byte
	off   int
}

func repeat(block []byte) *repeater { return &repeater{block: block} }

func (r *repeater) Read(p []byte) (int, error) {
	n := copy(p, r.block[r.off:])
	r.off = (r.off + n) % len(r.block)
	return n, nil
}

// upload sends n bytes as one multipart upload with a Content-Length, streamed.
func (p *benchPortal) upload(b *testing.B, n int64) { p.uploadTo(b, p.url, n) }

// uploadTo sends the upload to the server at base (the portal or the bare one).
func (p *benchPortal) uploadTo(b *testing.B, base string, n int64) {
	var head, tail bytes.Buffer
	mw := multipart.NewWriter(&head)
	if _, err := mw.CreateFormFile("file", "bench.pdf"); err != nil {
		b.Fatal(err)
	}
	fmt.Fprintf(&tail, "\r\n--%s--\r\n", mw.Boundary())
	body := io.MultiReader(&head, pdfSource(b, n), &tail)
	req, err := http.NewRequest(http.MethodPost, base+"/o/acme/files", body)
	if err != nil {
		b.Fatal(err)
	}
	req.ContentLength = int64(head.Len()) + n + int64(tail.Len())
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Cookie", p.cookies)
	req.Header.Set("X-CSRF-Token", p.csrf)
	req.Header.Set("Origin", base)
	noRedirects := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	resp, err := noRedirects.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		b.Fatalf("upload: status %d", resp.StatusCode)
	}
}

// removeBlobs deletes the blobs the portal stored in dir, as dd and the bare handler
// delete their files after each step: a disk that fills up from one run to the next
// would slow the later runs of one step only.
func (p *benchPortal) removeBlobs(b *testing.B, dir string) {
	blobs := filepath.Join(dir, "files", p.env.fix.Acme.ID.String())
	entries, err := os.ReadDir(blobs)
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range entries {
		if err := os.Remove(filepath.Join(blobs, e.Name())); err != nil {
			b.Fatal(err)
		}
	}
}

// bareUploads is the best a plain streaming handler does here: the multipart part
// copied to a file in dir, synced; no session, no type check, no hash, no row.
func bareUploads(b *testing.B, dir string) *httptest.Server {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mr, err := r.MultipartReader()
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		part, err := mr.NextPart()
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		f, err := os.CreateTemp(dir, "bare-")
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		defer os.Remove(f.Name())
		defer f.Close()
		if _, err := io.Copy(f, part); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		if err := f.Sync(); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		http.Redirect(w, r, "/", http.StatusSeeOther)
	}))
	b.Cleanup(ts.Close)
	return ts
}

// benchRuns is how many times a file benchmark runs its scenario and its
// baselines: FILES_BENCH_RUNS, 3 by default.
func benchRuns(b *testing.B) int {
	if v := os.Getenv("FILES_BENCH_RUNS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("FILES_BENCH_RUNS = %q: want a positive number", v)
		}
		return n
	}
	return 3
}

// settleDisk writes out what any process left dirty and pauses a moment, so that
// a step does not pay for the writes of the step before.
func settleDisk(b *testing.B) {
	if err := exec.Command("sync").Run(); err != nil {
		b.Fatalf("sync: %v", err)
	}
	time.Sleep(2 * time.Second)
}

// ddFsync writes n bytes with dd conv=fsync into dir, the disk's own speed.
func ddFsync(b *testing.B, dir string, n int64) time.Duration {
	out := filepath.Join(dir, "dd.bin")
	defer os.Remove(out)
	start := time.Now()
	cmd := exec.Command("dd", "if=/dev/zero", "of="+out, "bs=1M",
		"count="+strconv.FormatInt(n>>20, 10), "conv=fsync", "status=none")
	if msg, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("dd: %v: %s", err, msg)
	}
	return time.Since(start)
}

// peakRSSGrowth resets the process's peak resident size, runs fn, and returns how
// far the peak rose above the size before (Linux: /proc/self/clear_refs, VmHWM).
func peakRSSGrowth(b *testing.B, fn func()) int64 {
	before := procStatus(b, "VmRSS")
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Skipf("cannot reset the peak RSS: %v", err)
	}
	fn()
	return procStatus(b, "VmHWM") - before
}

func procStatus(b *testing.B, field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		b.Skipf("no /proc: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10,
				64)
			if err != nil {
				b.Fatal(err)
			}
			return kb << 10
		}
	}
	b.Fatalf("no %s in /proc/self/status", field)
	return 0
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

func mbps(n int64, d time.Duration) float64 { return float64(n) / 1e6 / d.Seconds() }

// BenchmarkFileUpload uploads a large file through the whole portal (plain HTTP,
// middleware, multipart streaming, SHA-256, fsync, rename, the row) and compares
// its speed with dd conv=fsync on the same disk, and reports how far the process's
// peak memory grew.
func BenchmarkFileUpload(b *testing.B) {
	n := benchBytes(b)
	dir := benchDir(b)
	p := newBenchPortal(b, dir, n+(1<<20))
	bare := bareUploads(b, dir)

	for b.Loop() {
		var ratios, bareRatios, speeds, disk, plain, growth []float64
		for i := range benchRuns(b) {
			var dd, bareTook, took time.Duration
			var g int64
			steps := []func(){
				func() { dd = ddFsync(b, dir, n) },
				func() {
					start := time.Now()
					p.uploadTo(b, bare.URL, n)
					bareTook = time.Since(start)
				},
				func() {
					g = peakRSSGrowth(b, func() {
						start := time.Now()
						p.upload(b, n)
						took = time.Since(start)
					})
					p.removeBlobs(b, dir)
				},
			}
			// Each run starts with another step, and each step with the disk's
			// queue drained, so that none always follows the others' writes.
			for j := range steps {
				settleDisk(b)
				steps[(i+j)%len(steps)]()
			}
			speeds = append(speeds, mbps(n, took))
			disk = append(disk, mbps(n, dd))
			plain = append(plain, mbps(n, bareTook))
			ratios = append(ratios, dd.Seconds()/took.Seconds())
			bareRatios = append(bareRatios, bareTook.Seconds()/took.Seconds())
			growth = append(growth, float64(g)/(1<<20))
		}
		b.ReportMetric(median(speeds), "upload_MB/s")
		b.ReportMetric(median(disk), "dd_MB/s")
		b.ReportMetric(median(plain), "bare_MB/s")
		b.ReportMetric(median(ratios), "ratio_dd")
		b.ReportMetric(median(bareRatios), "ratio_bare")
		b.ReportMetric(slices.Max(growth), "peak_rss_growth_MiB")
		b.Logf("%d MiB: upload %.0f MB/s, dd %.0f MB/s, bare handler %.0f MB/s; "+
			"ratios to dd %.2f, to bare %.2f; RSS growth %.1f MiB", n>>20, speeds, disk,
			plain, ratios, bareRatios, growth)
	}
}

// BenchmarkFileDownload downloads a large file through the whole portal and
// compares its speed with a bare http.ServeContent of the same file, in three times
// FILES_BENCH_RUNS pairs, and reports the median of the pairs' ratios.
func BenchmarkFileDownload(b *testing.B) {
	n := benchBytes(b)
	dir := benchDir(b)
	p := newBenchPortal(b, dir, 1<<20)
	ctx := context.Background()

	key := newFileKey(p.env.fix.Acme.ID)
	up, err := p.env.srv.files.Create(ctx, key)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(up, pdfSource(b, n)); err != nil {
		b.Fatal(err)
	}
	if err := up.Commit(ctx); err != nil {
		b.Fatal(err)
	}
	var id string
	err = p.env.staffConn().QueryRow(ctx, `INSERT INTO file
		(org_id, uploader_id, filename, storage_key, mime, size, sha256)
		VALUES ($1, $2, 'big.pdf', $3, 'application/pdf', $4, sha256('x')) RETURNING id::text`,
		p.env.fix.Acme.ID, p.env.fix.Alice.ID, key, n).Scan(&id)
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, "files", filepath.FromSlash(key))
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := os.Open(path)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		defer f.Close()
		w.Header().Set("Content-Type", "application/pdf")
		http.ServeContent(w, r, "", time.Now(), f)
	}))
	b.Cleanup(bare.Close)

	fetch := func(url string, auth bool) time.Duration {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if auth {
			req.Header.Set("Cookie", p.cookies)
		}
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		got, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || got != n {
			b.Fatalf("GET %s: status %d, %d bytes", url, resp.StatusCode, got)
		}
		return time.Since(start)
	}
	fetch(bare.URL, false) // warm the page cache for both

	for b.Loop() {
		var ratios, speeds, base []float64
		// A download takes a second or less, so three pairs per run: what a shared
		// machine does during one pair says little. Each pair swaps which goes first.
		for i := range 3 * benchRuns(b) {
			var took, bareTook time.Duration
			if i%2 == 0 {
				bareTook = fetch(bare.URL, false)
				took = fetch(p.url+"/o/acme/files/"+id, true)
			} else {
				took = fetch(p.url+"/o/acme/files/"+id, true)
				bareTook = fetch(bare.URL, false)
			}
			speeds = append(speeds, mbps(n, took))
			base = append(base, mbps(n, bareTook))
			ratios = append(ratios, bareTook.Seconds()/took.Seconds())
		}
		b.ReportMetric(median(speeds), "download_MB/s")
		b.ReportMetric(median(base), "serve_content_MB/s")
		b.ReportMetric(median(ratios), "ratio")
		b.Logf("%d MiB: portal %.0f MB/s, bare ServeContent %.0f MB/s, ratios %.2f",
			n>>20, speeds, base, ratios)
	}
}
