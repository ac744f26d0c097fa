package handlers

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/jusb/portal/db"
	"github.com/jusb/portal/db/dbtest"
)

var (
	activityBenchRows = flag.Int("activity.rows", 1_000_000,
		"entries in the large organization's log for BenchmarkActivityFilter")
	activityBenchRuns = flag.Int("activity.runs", 200,
		"timed requests per scenario and log size for BenchmarkActivityFilter")
	activityBenchOnly = flag.String("activity.only", "",
		"a regular expression: BenchmarkActivityFilter times only the filters it matches")
	activityBenchPlans = flag.Bool("activity.plans", false,
		"BenchmarkActivityFilter logs each filter's plan (EXPLAIN ANALYZE) at both sizes")
)

// activityBaseRows is the size of the log the large one is compared with.
const activityBaseRows = 10_000

// BenchmarkActivityFilter measures the activity log's filters at activityBaseRows and
// at -activity.rows (a million) entries in Acme's log, on two databases alive at the
// same time, and reports for each filter the ratio of the 95th percentiles, large over
// small, of the server's time: the loader alone (the database's work) and the whole
// handler in-process (session, viewer, page, rendering). The two sizes are timed
// alternately, request by request, so that the shared machine's drift hits both alike.
// The first 10,000 entries of both logs are the same, so most filters return the same
// page on both; the large log adds 990,000 older entries. It also checks each plan for
// a sequential scan, and streams the large log's whole export, reporting its rate and
// the heap it took. Run it alone (docs/activity.md):
//
//	go test -run '^$' -bench ActivityFilter -benchtime 1x ./handlers/
func BenchmarkActivityFilter(b *testing.B) {
	if *activityBenchRows < activityBaseRows {
		b.Fatalf("-activity.rows must be at least %d", activityBaseRows)
	}
	small := newActivityBench(b, activityBaseRows)
	large := newActivityBench(b, *activityBenchRows)
	b.Logf("seeded %d entries in %v, %d in %v", small.rows, small.seeded, large.rows,
		large.seeded)

	only, err := regexp.Compile(*activityBenchOnly)
	if err != nil {
		b.Fatalf("-activity.only: %v", err)
	}
	var results []activityResult
	for _, sc := range activityScenarios {
		if only.MatchString(sc.name) {
			results = append(results, measureActivityScenario(b, sc, small, large))
		}
	}
	reportActivityResults(b, results)
	benchActivityExport(b, large)
}

// activityBench is one database with a seeded log, and Alice's request for pages.
type activityBench struct {
	env     *testEnv
	rows    int
	seeded  time.Duration
	members map[string]uuid.UUID // by first name, staff's Jess included
	cookies []*http.Cookie
	handler http.Handler
}

// benchMembers join Acme besides Alice and Bob, so that one person's share of the log
// is a ninth, as in an organization of some size.
var benchMembers = []string{"Erin Evans", "Frank Fischer", "Grace Gupta", "Hugo Hall",
	"Ivy Ito", "Jon Jansen"}

func newActivityBench(b *testing.B, rows int) *activityBench {
	b.Helper()
	env := newBenchEnv(b)
	f := env.fix
	ab := &activityBench{env: env, rows: rows, members: map[string]uuid.UUID{
		"Alice": f.Alice.ID, "Bob": f.Bob.ID, "Jess": f.Admin.ID}}
	actors := []uuid.UUID{f.Alice.ID, f.Bob.ID}
	for _, name := range benchMembers {
		var id uuid.UUID
		email := strings.ToLower(strings.Fields(name)[0]) + "@acme.example"
		err := env.staffConn().QueryRow(context.Background(), `INSERT INTO app_user
			(org_id, email, name, password_hash, role) VALUES ($1, $2, $3, 'x', 'client')
			RETURNING id`, f.Acme.ID, email, name).Scan(&id)
		if err != nil {
			b.Fatalf("add member %s: %v", name, err)
		}
		ab.members[strings.Fields(name)[0]] = id
		actors = append(actors, id)
	}
	actors = append(actors, f.Admin.ID)

	start := time.Now()
	seedActivityBench(b, env, f.Acme.ID, actors, rows)
	seedActivityBench(b, env, f.Globex.ID, []uuid.UUID{f.Carol.ID, f.Dave.ID},
		activityBaseRows)
	owner := dbtest.Owner(b, env.urls)
	_, err := owner.Exec(context.Background(),
		"VACUUM ANALYZE activity, activity_term, activity_common_term")
	if err != nil {
		b.Fatalf("vacuum: %v", err)
	}
	ab.seeded = time.Since(start).Round(time.Second)

	c := env.signedIn("alice@acme.example")
	ab.cookies = c.http.Jar.Cookies(mustURL(env.ts.URL))
	ab.handler = env.srv.Handler()
	return ab
}

// seedActivityBench writes rows entries into org's log with INSERT ... SELECT over
// generate_series, as the staff connection, so that the schema's triggers and indexes
// all do their work; two connections share the rows. Entry g is a minute older for
// every second g (pairs share their moment), its action, actor and words cycle with
// g, and 20 of the newest 10,000 mention "Kestrel". Bob never deletes a file.
func seedActivityBench(b *testing.B, env *testEnv, org db.OrgID, actors []uuid.UUID,
	rows int) {
	b.Helper()
	const seed = `WITH w AS (SELECT
	ARRAY['Invoice','Contract','Budget','Roadmap','Onboarding','Security review','Logo',
		'Website','Newsletter','Quarterly report','Tax return','Payroll','Audit',
		'Brand guide','Pitch deck','Price list','Board minutes','Sales forecast',
		'Hiring plan','Vendor list','Press release','Style sheet','Floor plan',
		'Insurance','Lease','Timesheet','Expense claim','Product sheet','Survey',
		'Training plan','Policy','Handbook','Backlog','Wireframe','Mockup',
		'Specification','Release notes','Offer','Purchase order','Receipt'] AS subj,
	ARRAY['draft','final','v2','v3','for approval','Q1','Q2','Q3','Q4','2025','2026',
		'notes','feedback','review','signed','scan','summary','update','changes',
		'questions'] AS qual,
	ARRAY['Falcon','Atlas','Nimbus','Orion','Phoenix','Zephyr','Aurora','Borealis',
		'Cobalt','Delta','Ember','Fjord','Granite','Harbor','Iris','Juniper','Lumen',
		'Meridian','Nova','Onyx'] AS proj,
	ARRAY['task.created','task.updated','task.status_changed','task.assigned',
		'task_note.added','thread.created','message.posted','message.posted',
		'message.posted','file.uploaded','file.deleted','user.signed_in',
		'user.signed_in','user.signed_out'] AS act,
	ARRAY['task','task','task','task','task','thread','thread','thread','thread','file',
		'file','user','user','user'] AS tgt)
INSERT INTO activity (org_id, actor_id, action, target_type, summary, created_at)
SELECT $1, ($2::uuid[])[1 + (CASE WHEN (g * 13) % 14 = 10 AND (g * 7) % n.actors = 1
                                THEN 2 ELSE (g * 7) % n.actors END) % n.actors],
       w.act[1 + (g * 13) % 14], w.tgt[1 + (g * 13) % 14],
       w.subj[1 + (g * 31) % 40] || ' ' || w.qual[1 + (g * 17) % 20] || ' – ' ||
           CASE WHEN g < 10000 AND g % 500 = 7 THEN 'Kestrel'
                ELSE w.proj[1 + (g * 11) % 20] END || ' #' || g,
       timestamptz '2026-12-01 00:00:00+00' - (g / 2) * interval '1 minute'
FROM w, (SELECT cardinality($2::uuid[]) AS actors) n, generate_series($3::int, $4::int) g`

	// The newest entries, the same in every log, and the rest in two halves at once,
	// each in statements of activitySeedChunk entries: the word index learns which
	// words are common at the end of a statement, as it does one entry at a time.
	ranges := [][2]int{{1, min(rows, activityBaseRows)}}
	if rows > activityBaseRows {
		mid := activityBaseRows + (rows-activityBaseRows)/2
		ranges = append(ranges, [2]int{activityBaseRows + 1, mid}, [2]int{mid + 1, rows})
	}
	errs := make([]error, len(ranges))
	var wg sync.WaitGroup
	for i, r := range ranges {
		conn := env.staffConn()
		wg.Go(func() {
			for lo := r[0]; lo <= r[1] && errs[i] == nil; lo += activitySeedChunk {
				hi := min(lo+activitySeedChunk-1, r[1])
				_, errs[i] = conn.Exec(context.Background(), seed, org, actors, lo, hi)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			b.Fatalf("seed activity: %v", err)
		}
	}
}

// activitySeedChunk is how many entries one seeding statement writes.
const activitySeedChunk = 10_000

// activityScenario is one filter the benchmark times.
type activityScenario struct {
	name  string
	query func(ab *activityBench) url.Values
}

// activityCursorDeep is 30 hours into both logs, with the largest id: an "Older" page.
var activityCursorDeep = fmt.Sprintf("%d_%d",
	time.Date(2026, 11, 29, 18, 0, 0, 0, time.UTC).UnixMicro(), int64(1)<<62)

var activityScenarios = []activityScenario{
	{name: "newest page, no filter",
		query: func(*activityBench) url.Values { return nil }},
	{name: "action", query: func(*activityBench) url.Values {
		return url.Values{"action": {"file.deleted"}}
	}},
	{name: "person", query: func(ab *activityBench) url.Values {
		return url.Values{"actor": {ab.members["Alice"].String()}}
	}},
	{name: "target type", query: func(*activityBench) url.Values {
		return url.Values{"target": {"file"}}
	}},
	{name: "one day", query: func(*activityBench) url.Values {
		return url.Values{"from": {"2026-11-29"}, "to": {"2026-11-29"}}
	}},
	{name: "text, a common word", query: func(*activityBench) url.Values {
		return url.Values{"q": {"budget"}}
	}},
	{name: "text, a rare word", query: func(*activityBench) url.Values {
		return url.Values{"q": {"kestrel"}}
	}},
	{name: "text, a person's name", query: func(*activityBench) url.Values {
		return url.Values{"q": {"evans"}}
	}},
	{name: "text, a number", query: func(*activityBench) url.Values {
		return url.Values{"q": {"#4242"}}
	}},
	{name: "text, two words", query: func(*activityBench) url.Values {
		return url.Values{"q": {"budget nimbus"}}
	}},
	{name: "action and text", query: func(*activityBench) url.Values {
		return url.Values{"action": {"message.posted"}, "q": {"falcon"}}
	}},
	{name: "person and action", query: func(ab *activityBench) url.Values {
		return url.Values{"actor": {ab.members["Erin"].String()},
			"action": {"message.posted"}}
	}},
	{name: "older page, action", query: func(*activityBench) url.Values {
		return url.Values{"action": {"message.posted"}, "before": {activityCursorDeep}}
	}},
	// The worst case: two words each in 2.5 % of the log, never together. At ten
	// thousand entries their listings are whole and read through; at a million the
	// page stops after the longer word's 500 newest entries.
	{name: "text that matches nothing",
		query: func(*activityBench) url.Values { return url.Values{"q": {"quarterly budget"}} }},
	{name: "person and action that never meet",
		query: func(ab *activityBench) url.Values {
			return url.Values{"actor": {ab.members["Bob"].String()},
				"action": {"file.deleted"}}
		}},
}

// activityResult is what one scenario measured at both sizes.
type activityResult struct {
	scenario                  activityScenario
	entries                   int
	index                     string
	loader, handler           [2]percentiles // small, large
	loaderRatio, handlerRatio float64
}

type percentiles struct{ p50, p95 time.Duration }

func (p percentiles) String() string {
	return fmt.Sprintf("%.2f / %.2f", ms(p.p50), ms(p.p95))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// measureActivityScenario times one filter on both logs, alternating between them.
func measureActivityScenario(b *testing.B, sc activityScenario, small,
	large *activityBench) activityResult {
	b.Helper()
	benches := [2]*activityBench{small, large}
	var queries [2]db.ActivityQuery
	var paths [2]string
	for i, ab := range benches {
		q := sc.query(ab)
		req := parseActivityInput(readActivityInput(q))
		if len(req.errors) > 0 {
			b.Fatalf("%s: the filter is refused: %v", sc.name, req.errors)
		}
		queries[i] = db.ActivityQuery{Filter: req.filter, Before: req.before,
			Rows: activityPageRows}
		paths[i] = withQuery("/o/acme/activity", q)
	}

	res := activityResult{scenario: sc}
	var loaderTimes, handlerTimes [2][]time.Duration
	var pages [2]int
	warmup, runs := 5, *activityBenchRuns
	for run := range warmup + runs {
		for i, ab := range benches {
			start := time.Now()
			log, err := ab.env.store.LoadActivityLog(context.Background(), ab.env.fix.Acme.ID,
				queries[i])
			loaderTook := time.Since(start)
			if err != nil {
				b.Fatalf("%s: %v", sc.name, err)
			}
			pages[i] = len(log.Entries)

			rec := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodGet, "https://portal.test"+paths[i], nil)
			req.Header.Set("HX-Request", "true")
			for _, c := range ab.cookies {
				req.AddCookie(c)
			}
			start = time.Now()
			ab.handler.ServeHTTP(rec, req)
			handlerTook := time.Since(start)
			if rec.Code != http.StatusOK {
				b.Fatalf("%s: status %d", sc.name, rec.Code)
			}
			if run >= warmup {
				loaderTimes[i] = append(loaderTimes[i], loaderTook)
				handlerTimes[i] = append(handlerTimes[i], handlerTook)
			}
		}
	}
	if pages[0] != pages[1] {
		// A number's digits also start longer numbers, which only the large log has.
		b.Logf("%s: %d entries on the small log's page, %d on the large one's", sc.name,
			pages[0], pages[1])
	}
	res.entries = pages[1]
	for i := range benches {
		res.loader[i] = percentilesOf(loaderTimes[i])
		res.handler[i] = percentilesOf(handlerTimes[i])
	}
	res.loaderRatio = float64(res.loader[1].p95) / float64(res.loader[0].p95)
	res.handlerRatio = float64(res.handler[1].p95) / float64(res.handler[0].p95)

	if *activityBenchPlans {
		small, err := benches[0].env.store.ExplainActivityLog(context.Background(),
			benches[0].env.fix.Acme.ID, queries[0])
		if err != nil {
			b.Fatalf("%s: %v", sc.name, err)
		}
		fmt.Printf("%s, plan at %d entries:\n%s\n", sc.name, benches[0].rows, small)
	}
	plan, err := large.env.store.ExplainActivityLog(context.Background(),
		large.env.fix.Acme.ID, queries[1])
	if err != nil {
		b.Fatalf("%s: %v", sc.name, err)
	}
	if *activityBenchPlans {
		fmt.Printf("%s, plan at %d entries:\n%s\n", sc.name, large.rows, plan)
	}
	for _, line := range strings.Split(plan, "\n") {
		if bigTableScan.MatchString(line) && !strings.Contains(line, "never executed") {
			b.Errorf("%s: the plan reads a whole table:\n%s", sc.name, plan)
		}
	}
	res.index = indexesOf(plan)
	return res
}

func percentilesOf(ds []time.Duration) percentiles {
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(p float64) time.Duration { return s[int(p*float64(len(s)-1))] }
	return percentiles{p50: at(0.50), p95: at(0.95)}
}

// bigTableScan finds a sequential scan of the tables that grow with the log.
var bigTableScan = regexp.MustCompile(`Seq Scan on (activity|activity_term) `)

var planIndex = regexp.MustCompile(`(?:Index(?: Only)? Scan(?: Backward)?|Bitmap Index Scan)` +
	` (?:using|on) (activity_\w+)`)

// indexesOf names the activity indexes a plan reads (in the branch that ran).
func indexesOf(plan string) string {
	var names []string
	for _, line := range strings.Split(plan, "\n") {
		m := planIndex.FindStringSubmatch(line)
		if m != nil && !strings.Contains(line, "never executed") &&
			!slices.Contains(names, m[1]) {
			names = append(names, m[1])
		}
	}
	return strings.Join(names, ", ")
}

// activityRatioLimit is the target of the issue, 1.3, widened for the shared machine's
// noise as PERFORMANCE.md section 5 says: fail only beyond target / 0.8.
const activityRatioLimit = 1.3 / 0.8

func reportActivityResults(b *testing.B, results []activityResult) {
	b.Helper()
	var out strings.Builder
	fmt.Fprintf(&out, "\n| filter | entries | index | loader p50 / p95 ms, 10k | 1M | ratio |"+
		" handler ms, 10k | 1M | ratio |\n|---|---|---|---|---|---|---|---|---|\n")
	worstLoader, worstHandler := 0.0, 0.0
	for _, r := range results {
		name := r.scenario.name
		fmt.Fprintf(&out, "| %s | %d | %s | %s | %s | %.2f | %s | %s | %.2f |\n", name,
			r.entries, r.index, r.loader[0], r.loader[1], r.loaderRatio, r.handler[0],
			r.handler[1], r.handlerRatio)
		worstLoader = max(worstLoader, r.loaderRatio)
		worstHandler = max(worstHandler, r.handlerRatio)
		if r.loaderRatio > activityRatioLimit {
			b.Errorf("%s: the loader's p95 at the large size is %.2f times the small's, "+
				"target 1.3", r.scenario.name, r.loaderRatio)
		}
	}
	// Printed, not logged: the testing package keeps only 10 lines of a benchmark's log.
	fmt.Println(out.String())
	b.ReportMetric(worstLoader, "worst-loader-p95-ratio")
	b.ReportMetric(worstHandler, "worst-handler-p95-ratio")
}

// benchActivityExport streams the large log's whole export through the handler into a
// writer that discards it, and reports the rate and how far the heap grew meanwhile.
func benchActivityExport(b *testing.B, ab *activityBench) {
	b.Helper()
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	peak := before.HeapInuse
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				peak = max(peak, m.HeapInuse)
			}
		}
	})

	w := &discardWriter{header: http.Header{}}
	req := httptest.NewRequest(http.MethodGet, "https://portal.test/o/acme/activity.csv", nil)
	for _, c := range ab.cookies {
		req.AddCookie(c)
	}
	start := time.Now()
	ab.handler.ServeHTTP(w, req)
	took := time.Since(start)
	close(stop)
	wg.Wait()
	if w.status != 0 && w.status != http.StatusOK {
		b.Fatalf("export: status %d", w.status)
	}
	var want, listed int
	err := ab.env.staffConn().QueryRow(context.Background(), `SELECT
		(SELECT count(*) FROM activity WHERE org_id = $1),
		(SELECT count(*) FROM activity_term WHERE org_id = $1)`, ab.env.fix.Acme.ID).
		Scan(&want, &listed)
	if err != nil {
		b.Fatal(err)
	}
	lines := w.lines - 1 // the header
	if lines != want {
		b.Errorf("export: %d rows, want %d", lines, want)
	}
	fmt.Printf("word index: %.2f listed words per entry\n", float64(listed)/float64(want))
	fmt.Printf("export of %d entries: %v, %.0f rows/s, %.1f MB, heap grew by %.1f MiB at most\n",
		lines, took.Round(time.Millisecond), float64(lines)/took.Seconds(),
		float64(w.bytes)/1e6, float64(peak-before.HeapInuse)/(1<<20))
	b.ReportMetric(float64(lines)/took.Seconds(), "export-rows/s")
	b.ReportMetric(float64(peak-before.HeapInuse)/(1<<20), "export-heap-MiB")
}

// discardWriter is a ResponseWriter that counts what it is sent and keeps nothing.
type discardWriter struct {
	header http.Header
	status int
	bytes  int
	lines  int
}

func (w *discardWriter) Header() http.Header { return w.header }
func (w *discardWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}
func (w *discardWriter) Write(p []byte) (int, error) {
	w.bytes += len(p)
	w.lines += bytes.Count(p, []byte("\n"))
	return len(p), nil
}
