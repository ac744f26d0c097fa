package handlers

import (
	"bytes"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestSecurityHeaders checks the headers of pages, fragments, errors and static files
// (X5, X7, X8).
func TestSecurityHeaders(t *testing.T) {
	env := newTestEnv(t, Config{})
	c := env.signedIn("alice@acme.example")
	tests := []struct {
		name, path string
		header     []string
		wantStatus int
		static     bool
	}{
		{"sign-in page", "/signin", nil, 303, false}, // signed in: redirected
		{"dashboard page", "/o/acme", nil, 200, false},
		{"dashboard fragment", "/o/acme", []string{"HX-Request", "true"}, 200, false},
		{"not found", "/no/such/page", nil, 404, false},
		{"another organization", "/o/globex", nil, 404, false},
		{"stylesheet", "/static/css/app.css", nil, 200, true},
	}
	nonces := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.get(tt.path, tt.header...)
			if got.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", got.StatusCode, tt.wantStatus)
			}
			h := got.Header
			csp := h.Get("Content-Security-Policy")
			for _, want := range []string{"script-src 'nonce-", "object-src 'none'",
				"base-uri 'none'", "frame-ancestors 'none'", "form-action 'self'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("CSP %q lacks %q", csp, want)
				}
			}
			if strings.Contains(csp, "unsafe-") {
				t.Errorf("CSP %q allows unsafe sources", csp)
			}
			nonce := cspNonce.FindStringSubmatch(csp)
			if nonce == nil || nonces[nonce[1]] {
				t.Errorf("nonce missing or reused in %q", csp)
			} else {
				nonces[nonce[1]] = true
			}
			if strings.Contains(got.body, "<script") &&
				!strings.Contains(got.body, `nonce="`+nonce[1]+`"`) {
				t.Error("a script does not carry the response's nonce")
			}
			wantHeaders := map[string]string{
				"X-Content-Type-Options":    "nosniff",
				"Referrer-Policy":           "strict-origin-when-cross-origin",
				"Strict-Transport-Security": "max-age=31536000; includeSubDomains",
			}
			for k, v := range wantHeaders {
				if h.Get(k) != v {
					t.Errorf("%s = %q, want %q", k, h.Get(k), v)
				}
			}
			if !strings.Contains(strings.Join(h.Values("Vary"), ","), "HX-Request") {
				t.Errorf("Vary = %q, want HX-Request in it", h.Values("Vary"))
			}
			if !tt.static && h.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", h.Get("Cache-Control"))
			}
		})
	}
}

var cspNonce = regexp.MustCompile(`'nonce-([^']+)'`)

func TestFragmentOrPage(t *testing.T) {
	env := newTestEnv(t, Config{})
	c := env.signedIn("alice@acme.example")
	tests := []struct {
		name     string
		header   []string
		wantPage bool
	}{
		{"direct load", nil, true},
		{"htmx request", []string{"HX-Request", "true"}, false},
		{"boosted request", []string{"HX-Request", "true", "HX-Boosted", "true"}, true},
		{"full request", []string{"HX-Request", "true", "HX-Request-Type", "full"}, true},
		{"history restore", []string{"HX-Request", "true",
			"HX-History-Restore-Request", "true"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.get("/o/acme", tt.header...)
			isPage := strings.Contains(got.body, "<html")
			if isPage != tt.wantPage {
				t.Errorf("whole page = %v, want %v", isPage, tt.wantPage)
			}
			if !strings.Contains(got.body, `id="dashboard"`) {
				t.Error("the dashboard is missing")
			}
		})
	}
}

// TestCSRF checks that unsafe requests need a token from the portal and a same-origin
// request (C1, C2, C4 is in TestSessionLifecycle).
func TestCSRF(t *testing.T) {
	env := newTestEnv(t, Config{})
	tests := []struct {
		name       string
		form       url.Values
		header     []string
		wantStatus int
	}{
		{"form with token", nil, nil, http.StatusSeeOther},
		{"no token", url.Values{"csrf_token": {"-"}}, nil, http.StatusForbidden},
		{"token from another browser", url.Values{"csrf_token": {env.client().csrfToken()}},
			nil, http.StatusForbidden},
		{"foreign origin", nil, []string{"Origin", "https://evil.example"},
			http.StatusForbidden},
		{"htmx header token", url.Values{"csrf_token": {"-"}}, []string{"HX-Request", "true"},
			http.StatusSeeOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := env.client()
			form := tt.form
			header := tt.header
			if tt.name == "htmx header token" {
				header = append(header, "X-CSRF-Token", c.csrfToken())
			}
			got := c.post("/signout", form, header...)
			if got.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d; %s", got.StatusCode, tt.wantStatus, got.body)
			}
		})
	}

	t.Run("htmx failure is a fragment for the flash area", func(t *testing.T) {
		got := env.client().post("/signout", url.Values{"csrf_token": {"-"}}, "HX-Request",
			"true")
		if got.StatusCode != http.StatusForbidden || strings.Contains(got.body, "<html") ||
			got.Header.Get("HX-Retarget") != "#flash" {
			t.Errorf("status %d, retarget %q, body %s", got.StatusCode,
				got.Header.Get("HX-Retarget"), got.body)
		}
	})

	t.Run("multipart without the token header refused before parsing", func(t *testing.T) {
		got := env.client().post("/signout", nil, "Content-Type",
			"multipart/form-data; boundary=x")
		if got.StatusCode != http.StatusForbidden {
			t.Errorf("status = %d, want 403", got.StatusCode)
		}
	})

	t.Run("oversized form refused before parsing", func(t *testing.T) {
		form := url.Values{"pad": {strings.Repeat("x", maxFormBytes)}}
		if got := env.client().post("/signin", form); got.StatusCode != 413 {
			t.Errorf("status = %d, want 413", got.StatusCode)
		}
	})
}

// TestPlainHTTPDevelopment checks that sign-in works on http://127.0.0.1, where
// nosurf must not expect TLS (development and the demo).
func TestPlainHTTPDevelopment(t *testing.T) {
	env := newTestEnv(t, Config{})
	plain := httptest.NewServer(env.srv.Handler())
	t.Cleanup(plain.Close)
	c := env.client()
	c.env = &testEnv{t: t, srv: env.srv, ts: plain}
	c.origin = plain.URL
	c.http.Transport = http.DefaultTransport

	// Go's cookie jar keeps Secure cookies off plain HTTP (browsers allow them on
	// 127.0.0.1; the browser test checks that), so carry them by hand.
	got := c.get("/signin")
	var csrf *http.Cookie
	for _, ck := range got.Cookies() {
		if ck.Name == csrfCookieName {
			csrf = ck
		}
	}
	if csrf == nil {
		t.Fatal("no CSRF cookie")
	}
	u, _ := url.Parse(plain.URL)
	c.http.Jar.SetCookies(u, []*http.Cookie{{Name: csrf.Name, Value: csrf.Value}})

	resp := c.signIn("alice@acme.example", testPassword)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in over plain HTTP: %d %s", resp.StatusCode, resp.body)
	}
	if resp.Header.Get("Strict-Transport-Security") != "" {
		t.Error("HSTS sent over plain HTTP")
	}
}

func TestPanicShowsPlainErrorPage(t *testing.T) {
	logs := &syncBuffer{}
	s := &Server{log: slog.New(slog.NewJSONHandler(logs, nil))}
	h := s.recoverPanics(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("secret detail of the failure")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/boom", nil))

	body, _ := io.ReadAll(rec.Body)
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("status = %d, want 500", rec.Code)
	}
	if strings.Contains(string(body), "secret detail") || strings.Contains(string(body), ".go:") {
		t.Errorf("the page shows internals: %s", body)
	}
	if !strings.Contains(logs.String(), "secret detail of the failure") {
		t.Error("the panic was not logged")
	}
}

func TestHealth(t *testing.T) {
	env := newTestEnv(t, Config{})
	c := env.client()
	if got := c.get("/healthz"); got.StatusCode != 200 {
		t.Errorf("healthz = %d", got.StatusCode)
	}
	if got := c.get("/readyz"); got.StatusCode != 200 {
		t.Errorf("readyz = %d", got.StatusCode)
	}
	env.srv.Drain()
	if got := c.get("/readyz"); got.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("readyz while draining = %d, want 503", got.StatusCode)
	}
	if got := c.get("/healthz"); got.StatusCode != 200 {
		t.Errorf("healthz while draining = %d", got.StatusCode)
	}
}

// TestMultipartFormToken posts uploads as a browser without JavaScript does: a plain
// multipart form, no X-CSRF-Token header, the token in the form's first field. That
// is accepted, and the files page it redirects to says so; a wrong token, or the
// token anywhere but first, is refused (C1) and stores nothing.
func TestMultipartFormToken(t *testing.T) {
	env := newTestEnv(t, Config{})
	bob := env.signedIn("bob@acme.example")
	token := bob.csrfToken()
	type field struct{ name, value string }
	file := field{"file", "minutes of the meeting\n"}
	tests := []struct {
		name       string
		fields     []field
		wantStatus int
		wantMsg    string
	}{
		{"the token first", []field{{"csrf_token", token}, file}, 303, ""},
		{"a wrong token first", []field{{"csrf_token", "bm90IHRoZSB0b2tlbg"}, file}, 403,
			"did not come from the portal"},
		{"the token after the file", []field{file, {"csrf_token", token}}, 403,
			"This upload did not come from the portal"},
		{"another field first", []field{{"note", "x"}, {"csrf_token", token}, file}, 403,
			"This upload did not come from the portal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body bytes.Buffer
			mw := multipart.NewWriter(&body)
			for _, f := range tt.fields {
				var w io.Writer
				var err error
				if f.name == "file" {
					w, err = mw.CreateFormFile("file", "minutes.txt")
				} else {
					w, err = mw.CreateFormField(f.name)
				}
				if err == nil {
					_, err = io.WriteString(w, f.value)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if err := mw.Close(); err != nil {
				t.Fatal(err)
			}
			req, err := http.NewRequest(http.MethodPost, env.ts.URL+"/o/acme/files", &body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", mw.FormDataContentType())
			req.Header.Set("Origin", bob.origin)

			got := bob.do(req)
			if got.StatusCode != tt.wantStatus || !strings.Contains(got.body, tt.wantMsg) {
				t.Errorf("status = %d, want %d with %q:\n%s", got.StatusCode, tt.wantStatus,
					tt.wantMsg, got.body)
			}
			if tt.wantStatus == 303 && got.Header.Get("Location") != "/o/acme/files" {
				t.Errorf("redirected to %q, want the files", got.Header.Get("Location"))
			}
		})
	}
	if rows := env.files(t, env.fix.Acme.ID); len(rows) != 1 || rows[0].Size != 23 {
		t.Errorf("files stored: %+v, want the one sent with its token first", rows)
	}
	// The page the plain form was sent to says so, once.
	const notice = "Uploaded “minutes.txt”."
	if got := bob.get("/o/acme/files"); !strings.Contains(got.body, notice) {
		t.Errorf("the files page after the upload does not say %q", notice)
	}
	if got := bob.get("/o/acme/files"); strings.Contains(got.body, notice) {
		t.Errorf("the files page says %q again", notice)
	}
}
