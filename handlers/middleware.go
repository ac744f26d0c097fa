package handlers

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/justinas/nosurf"

	"github.com/jusb/portal/components"
)

// maxFormBytes bounds the body of ordinary form posts. Read before nosurf parses the
// form, so an oversized body without a token is cut off early.
const maxFormBytes = 1 << 20

// logRequests writes one structured line per request.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		next.ServeHTTP(ww, r)

		level := slog.LevelInfo
		if strings.HasPrefix(r.URL.Path, "/static/") || r.URL.Path == "/healthz" {
			level = slog.LevelDebug
		}
		attrs := []slog.Attr{
			slog.String("request_id", middleware.GetReqID(r.Context())),
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", ww.Status()),
			slog.Int("bytes", ww.BytesWritten()),
			slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
			slog.String("client_ip", middleware.GetClientIP(r.Context())),
		}
		if v, ok := ViewerFrom(r.Context()); ok {
			attrs = append(attrs, slog.String("user_id", v.ID.String()))
		}
		s.log.LogAttrs(r.Context(), level, "request", attrs...)
	})
}

// recoverPanics turns a panic into a logged error and a plain 500 page.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			rec := recover()
			if rec == nil {
				return
			}
			if rec == http.ErrAbortHandler {
				panic(rec)
			}
			s.log.Error("panic",
				slog.String("request_id", middleware.GetReqID(r.Context())),
				slog.String("path", r.URL.Path),
				slog.String("panic", fmt.Sprint(rec)),
				slog.String("stack", string(debug.Stack())))
			s.renderError(w, r, http.StatusInternalServerError,
				"Something went wrong on our side")
		}()
		next.ServeHTTP(w, r)
	})
}

// secureHeaders sets the headers every response carries, with a fresh CSP nonce that
// templ adds to the page's scripts.
func (s *Server) secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		nonce, err := newNonce()
		if err != nil {
			http.Error(w, "Something went wrong on our side", http.StatusInternalServerError)
			return
		}
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; "+
			"script-src 'nonce-"+nonce+"' 'strict-dynamic'; style-src 'self'; "+
			"img-src 'self' data:; object-src 'none'; base-uri 'none'; "+
			"form-action 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if s.isTLS(r) {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		// Pages and fragments share URLs, and signed-in pages must not be kept.
		h.Add("Vary", "HX-Request")
		if !strings.HasPrefix(r.URL.Path, "/static/") {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r.WithContext(templ.WithNonce(r.Context(), nonce)))
	})
}

func newNonce() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("csp nonce: %w", err)
	}
	return base64.RawStdEncoding.EncodeToString(b), nil
}

// bodyLimits caps request bodies before anything reads them, nosurf included: 1 MiB
// for forms, more for the routes that declare it (withMaxBody). A body announced as
// too large is refused at once with 413; one that grows too large while read fails
// there. nosurf would parse a whole multipart body to find its CSRF token, so a
// multipart body carries the token in the X-CSRF-Token header (upload.js) or in a
// csrf_token field at its start (a plain form, which sends its fields in order), from
// where csrfFromMultipart moves it to the header.
func (s *Server) bodyLimits(routes []Route) func(http.Handler) http.Handler {
	limits := chi.NewRouter()
	max := map[string]int64{}
	for _, rt := range routes {
		if rt.maxBody > 0 {
			limits.Method(rt.Method, rt.Pattern, http.NotFoundHandler())
			max[rt.Method+" "+rt.Pattern] = rt.maxBody
		}
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			limit := int64(maxFormBytes)
			rctx := chi.NewRouteContext()
			if limits.Match(rctx, r.Method, r.URL.Path) {
				limit = max[r.Method+" "+rctx.RoutePattern()]
			}
			if r.ContentLength > limit {
				s.renderError(w, r, http.StatusRequestEntityTooLarge, "The request is too large.")
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
			if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") &&
				r.Header.Get(nosurf.HeaderName) == "" && !csrfFromMultipart(r) {
				s.renderError(w, r, http.StatusForbidden,
					"This upload did not come from the portal. Reload the page and try again.")
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// csrfHeadBytes is how much of a multipart body csrfFromMultipart reads to find the
// CSRF token: the boundary, the field's headers and the token fit in far less.
const csrfHeadBytes = 4096

// csrfFromMultipart looks for a csrf_token field as the first part of r's multipart
// body and, when it is there, sets its value as the X-CSRF-Token header for nosurf to
// check. It reads at most csrfHeadBytes, and r's body still starts where it did. It
// reports whether it found the field.
func csrfFromMultipart(r *http.Request) bool {
	_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		return false
	}
	body := bufio.NewReaderSize(r.Body, csrfHeadBytes)
	r.Body = struct {
		io.Reader
		io.Closer
	}{body, r.Body}
	head, _ := body.Peek(csrfHeadBytes) // a shorter body is all there is

	part, err := multipart.NewReader(bytes.NewReader(head), params["boundary"]).NextPart()
	if err != nil || part.FormName() != nosurf.FormFieldName || part.FileName() != "" {
		return false
	}
	token, err := io.ReadAll(part)
	if err != nil || len(token) == 0 {
		return false // the field does not end within the head
	}
	r.Header.Set(nosurf.HeaderName, string(token))
	return true
}

// csrf wraps next in nosurf. The token cookie is a session cookie with the same
// attributes as the session's; HTMX sends the token in the X-CSRF-Token header, forms
// in the csrf_token field.
func (s *Server) csrf(next http.Handler) *nosurf.CSRFHandler {
	h := nosurf.New(next)
	h.SetBaseCookie(http.Cookie{
		Name:     csrfCookieName,
		Path:     "/",
		HttpOnly: true,
		Secure:   true,
		SameSite: http.SameSiteLaxMode,
	})
	h.SetIsTLSFunc(s.isTLS)
	h.SetFailureHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.log.Warn("csrf check failed",
			slog.String("request_id", middleware.GetReqID(r.Context())),
			slog.String("path", r.URL.Path),
			slog.Any("reason", nosurf.Reason(r)))
		s.renderError(w, r, http.StatusForbidden,
			"This form has expired or did not come from the portal. "+
				"Reload the page and try again.")
	}))
	return h
}

// csrfCookieName carries the __Host- prefix: Secure, Path=/, no Domain.
const csrfCookieName = "__Host-csrf"

// exposeCSRFToken hands nosurf's token to the components, which put it in every form
// and in the header HTMX sends.
func exposeCSRFToken(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := components.WithCSRFToken(r.Context(), nosurf.Token(r))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}
