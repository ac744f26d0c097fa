package handlers

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkDashboard serves the dashboard to a signed-in member in-process: the whole
// middleware chain, the session read, the user read and the page's queries, against
// the real database. Compare with BenchmarkHello, a bare handler, run in the same
// process (docs/performance.md).
func BenchmarkDashboard(b *testing.B) {
	env := newBenchEnv(b)
	c := env.signedIn("alice@acme.example")
	addActivity(env.t, env, 50)
	req := httptest.NewRequest(http.MethodGet, "https://portal.test/o/acme", nil)
	for _, ck := range c.http.Jar.Cookies(mustURL(env.ts.URL)) {
		req.AddCookie(ck)
	}
	h := env.srv.Handler()

	b.ResetTimer()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
}

// BenchmarkHello is the baseline: a handler that writes a few bytes.
func BenchmarkHello(b *testing.B) {
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("hello"))
	})
	req := httptest.NewRequest(http.MethodGet, "https://portal.test/", nil)
	for b.Loop() {
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
}
