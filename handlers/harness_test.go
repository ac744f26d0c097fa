package handlers

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/jackc/pgx/v5"

	"github.com/jusb/portal/db"
	"github.com/jusb/portal/db/dbtest"
	"github.com/jusb/portal/handlers/password"
)

// testPassword is every fixture user's password.
const testPassword = "correct horse battery"

// fastParams keep hashing cheap in tests that are not about its cost.
var fastParams = password.Params{Memory: 64, Time: 1, Threads: 1}

// testEnv is the real router over HTTPS on a fresh database with the fixture loaded.
type testEnv struct {
	t       testing.TB
	srv     *Server
	ts      *httptest.Server
	store   *db.Store
	urls    dbtest.URLs
	fix     dbtest.Fixture
	counter *dbtest.Counter
	logs    *syncBuffer
	// mailbox receives what the portal mails, over SMTP.
	mailbox *testMailbox
}

func newTestEnv(t *testing.T, cfg Config) *testEnv { return newEnv(t, cfg, nil) }

func newBenchEnv(b *testing.B) *testEnv { return newEnv(b, Config{}, nil) }

// newEnv starts a portal on a fresh, seeded database. via, if not nil, gives the
// connection strings the portal's pools use instead of the database's own (a proxy's);
// the env's urls stay the database's.
func newEnv(t testing.TB, cfg Config, via func(dbtest.URLs) dbtest.URLs) *testEnv {
	t.Helper()
	counter := &dbtest.Counter{}
	urls := dbtest.New(t)
	poolURLs := urls
	if via != nil {
		poolURLs = via(urls)
	}
	store := dbtest.OpenStore(t, poolURLs, counter)
	hasher, err := password.NewHasher(fastParams)
	if err != nil {
		t.Fatal(err)
	}
	hash, err := hasher.Hash(context.Background(), testPassword)
	if err != nil {
		t.Fatal(err)
	}
	fix := dbtest.Seed(t, store, hash)
	enrolFixtureStaff(t, urls, fix)

	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	mailbox := startMailbox(t)
	if cfg.Mail == nil {
		cfg.Mail = mailbox.sender(t)
	}
	if cfg.MailRetry == nil {
		cfg.MailRetry = []time.Duration{100 * time.Millisecond, 200 * time.Millisecond}
	}
	// The server's address is known before it starts, for the links in its mails.
	ts := httptest.NewUnstartedServer(nil)
	cfg.PublicURL = "https://" + ts.Listener.Addr().String()
	srv := New(cfg, store, hasher, log)
	t.Cleanup(srv.Close)
	ts.Config.Handler = srv.Handler()
	ts.StartTLS()
	t.Cleanup(ts.Close)
	env := &testEnv{t: t, srv: srv, ts: ts, store: store, urls: urls, fix: fix,
		counter: counter, logs: logs, mailbox: mailbox}
	// The session cache is used once the server hears other processes' sign-outs;
	// until then every request reads its session, which round-trip counts would see.
	waitHeard(t, env)
	return env
}

// staffConn is a connection as portal_staff, which sees every organization: tests
// arrange and inspect data with it behind the portal's back. (The tables' owner cannot:
// row-level security is forced on it too.)
func (e *testEnv) staffConn() *pgx.Conn {
	e.t.Helper()
	conn, err := pgx.Connect(context.Background(), e.urls.Staff)
	if err != nil {
		e.t.Fatalf("connect as portal_staff: %v", err)
	}
	e.t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

// testClient is one browser: its own cookies, redirects not followed.
type testClient struct {
	env    *testEnv
	http   *http.Client
	origin string
}

func (e *testEnv) client() *testClient {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	c := e.ts.Client()
	hc := &http.Client{Transport: c.Transport, Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}
	return &testClient{env: e, http: hc, origin: e.ts.URL}
}

// signedIn returns a client signed in as email.
func (e *testEnv) signedIn(email string) *testClient {
	e.t.Helper()
	c := e.client()
	resp := c.signIn(email, testPassword)
	if resp.Header.Get("Location") == "/signin/two-factor" {
		resp = c.passTwoFactor(email)
	}
	if resp.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("sign in %s: status %d, body %s", email, resp.StatusCode, resp.body)
	}
	return c
}

type response struct {
	*http.Response
	body string
}

func (c *testClient) do(req *http.Request) response {
	c.env.t.Helper()
	resp, err := c.http.Do(req)
	if err != nil {
		c.env.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.env.t.Fatalf("read body: %v", err)
	}
	return response{Response: resp, body: string(b)}
}

func (c *testClient) get(path string, header ...string) response {
	c.env.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.env.ts.URL+path, nil)
	if err != nil {
		c.env.t.Fatal(err)
	}
	setHeaders(req, header)
	return c.do(req)
}

// post sends a form with the CSRF token and a same-origin Origin header, as a browser
// would; header pairs are added or override.
func (c *testClient) post(path string, form url.Values, header ...string) response {
	c.env.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if form.Get("csrf_token") == "" {
		form.Set("csrf_token", c.csrfToken())
	}
	req, err := http.NewRequest(http.MethodPost, c.env.ts.URL+path,
		strings.NewReader(form.Encode()))
	if err != nil {
		c.env.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", c.origin)
	setHeaders(req, header)
	return c.do(req)
}

func (c *testClient) signIn(email, pw string) response {
	c.env.t.Helper()
	return c.post("/signin", url.Values{"email": {email}, "password": {pw}})
}

// csrfToken returns a token for the browser's CSRF cookie, fetching a page first if
// it has none yet. Like the tokens in the portal's pages it is masked with a one-time
// pad (key, then token XOR key), which is the only form nosurf accepts.
func (c *testClient) csrfToken() string {
	c.env.t.Helper()
	v := c.cookie(csrfCookieName)
	if v == "" {
		c.get("/signin")
		v = c.cookie(csrfCookieName)
	}
	raw, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(raw) == 0 {
		c.env.t.Fatalf("no usable CSRF cookie: %q", v)
	}
	masked := make([]byte, 2*len(raw))
	key, token := masked[:len(raw)], masked[len(raw):]
	if _, err := rand.Read(key); err != nil {
		c.env.t.Fatal(err)
	}
	for i := range raw {
		token[i] = raw[i] ^ key[i]
	}
	return base64.StdEncoding.EncodeToString(masked)
}

func (c *testClient) cookie(name string) string {
	u, _ := url.Parse(c.env.ts.URL)
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

func setHeaders(req *http.Request, pairs []string) {
	for i := 0; i+1 < len(pairs); i += 2 {
		req.Header.Set(pairs[i], pairs[i+1])
	}
}

// syncBuffer is a log sink that tests can read while the server writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

// exec runs SQL as portal_staff, failing the test on error.
func (e *testEnv) exec(t testing.TB, sql string, args ...any) {
	t.Helper()
	if _, err := e.staffConn().Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("exec: %v", err)
	}
}

// htmx are the headers of an HTMX request for a fragment.
var htmx = []string{"HX-Request", "true"}

// parseHTML parses a page or fragment for assertions on its nodes.
func parseHTML(t testing.TB, body string) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}
