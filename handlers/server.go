// Package handlers serves the portal over HTTP: the router, its middleware, and one
// file per page or group of actions. Handlers return errors; one adapter (errors.go)
// turns them into a status and a page or an HTMX fragment.
package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/alexedwards/scs/pgxstore"
	"github.com/alexedwards/scs/v2"
	"github.com/go-chi/httprate"

	"github.com/jusb/portal/db"
	"github.com/jusb/portal/handlers/email"
	"github.com/jusb/portal/handlers/password"
	"github.com/jusb/portal/handlers/storage"
)

// Config holds the settings of the web server that are not dependencies.
type Config struct {
	// Production turns off what is only for development (the demo data command).
	Production bool
	// TrustedProxy says the portal runs behind one TLS-terminating proxy that sets
	// X-Forwarded-Proto and appends the client to X-Forwarded-For. Off by default:
	// then those headers are ignored, since any client could send them.
	TrustedProxy bool
	// SessionLifetime is how long a sign-in lasts, however active; 12 hours by default.
	SessionLifetime time.Duration
	// SignInPerIP and SignInPerEmail limit sign-in attempts per client address and per
	// e-mail address; 20 a minute and 10 in 10 minutes by default.
	SignInPerIP, SignInPerEmail Rate
	// Files holds the settings of file uploads and where files are stored.
	Files FilesConfig
	// Accounts holds the limits of password reset, two-factor sign-in and the account
	// pages.
	Accounts AccountsConfig
	// PublicURL is the portal's address as people reach it, without a trailing slash,
	// such as https://portal.jusb.example: the links in e-mails start with it.
	PublicURL string
	// Mail sends the portal's e-mails; nil writes each one to the log instead.
	Mail email.Sender
	// MailRetry is the pause before each retry of a mail that could not be sent; after
	// the last one the mail is given up and logged as an error.
	MailRetry []time.Duration
	// Clock tells the time where a deadline kept in a session is checked; time.Now by
	// default. Tests move it on to see what expires.
	Clock func() time.Time
	// TOTPKey is the 32-byte key that seals the users' TOTP keys in the database
	// (TOTP_KEY); a development key written in the code when empty. TOTPOldKeys open
	// what earlier keys sealed, which the pass at start seals again under TOTPKey.
	TOTPKey     []byte
	TOTPOldKeys [][]byte
}

// Rate is a number of requests allowed within a sliding window.
type Rate struct {
	Count  int
	Window time.Duration
}

func (c *Config) setDefaults() {
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.SessionLifetime == 0 {
		c.SessionLifetime = 12 * time.Hour
	}
	if c.SignInPerIP.Count == 0 {
		c.SignInPerIP = Rate{Count: 20, Window: time.Minute}
	}
	if c.SignInPerEmail.Count == 0 {
		c.SignInPerEmail = Rate{Count: 10, Window: 10 * time.Minute}
	}
	c.Files.setDefaults()
	c.Accounts.setDefaults()
	if c.MailRetry == nil {
		c.MailRetry = defaultMailRetry
	}
	c.PublicURL = strings.TrimSuffix(c.PublicURL, "/")
	if len(c.TOTPKey) == 0 {
		c.TOTPKey = developmentTOTPKey[:]
	}
}

// Server holds the dependencies of every handler.
type Server struct {
	cfg      Config
	store    *db.Store
	hasher   *password.Hasher
	log      *slog.Logger
	sessions *scs.SessionManager
	// totp seals the users' TOTP keys for the database and opens them.
	totp *totpSealer
	// files keeps the contents of uploaded files; closeFiles releases it.
	files      storage.Storage
	closeFiles func()
	// signInByEmail counts attempts per normalized e-mail address.
	signInByEmail *httprate.RateLimiter
	// accounts counts password resets, second-factor codes and password checks.
	accounts accountLimits
	draining atomic.Bool
	// markdown renders message bodies; threadHub feeds the threads' live streams.
	markdown  *markdown
	threadHub *threadHub
	// mailer delivers what the outbox worker takes from the outbox.
	mailer      email.Sender
	stopCleanup context.CancelFunc
	cleanupDone chan struct{}
	outboxDone  chan struct{}
	// sessionCache is the sessions' store; sessionsHeard is closed when its listener
	// for other processes' sign-outs has stopped.
	sessionCache  *cachedStore
	sessionsHeard chan struct{}
}

// sessionCleanupInterval is how often expired sessions are deleted.
const sessionCleanupInterval = 30 * time.Minute

// New returns a Server. Call Close when done with it.
func New(cfg Config, store *db.Store, hasher *password.Hasher, log *slog.Logger) *Server {
	cfg.setDefaults()
	s := &Server{cfg: cfg, store: store, hasher: hasher, log: log}
	var err error
	if s.totp, err = newTOTPSealer(cfg.TOTPKey, cfg.TOTPOldKeys...); err != nil {
		panic(err) // cmd/portal checks TOTP_KEY's length when it reads the settings
	}
	s.files, s.closeFiles = openFileStorage(cfg.Files.Storage)
	s.markdown, s.threadHub = newMarkdown(), newThreadHub(store, log)
	// pgxstore's own cleanup goroutine cannot be stopped safely (its stop channel is
	// made inside the goroutine), so it is off and the server cleans up itself.
	s.sessionCache = newCachedStore(pgxstore.NewWithCleanupInterval(store.SessionPool(), 0),
		sessionCacheTTL, 10000)
	s.sessionCache.trust(false) // until the listener for other processes' sign-outs is up
	s.sessionCache.ended = s.announceSessionEnded
	s.sessions = newSessionManager(cfg, s.sessionCache)
	// A session that cannot be read or saved fails like any handler: logged once, a
	// page or fragment, 503 while the database is away (scs's own answer is plain text).
	s.sessions.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) {
		s.fail(w, r, fmt.Errorf("session: %w", err))
	}
	s.signInByEmail = httprate.NewRateLimiter(cfg.SignInPerEmail.Count,
		cfg.SignInPerEmail.Window,
		httprate.WithLimitCounter(s.sharedCounter("sign-in by e-mail")))
	s.accounts = s.newAccountLimits(cfg.Accounts)

	s.mailer = cfg.Mail
	if s.mailer == nil {
		s.mailer = email.Log{Logger: log}
	}

	ctx, cancel := context.WithCancel(context.Background())
	s.stopCleanup, s.cleanupDone = cancel, make(chan struct{})
	s.outboxDone, s.sessionsHeard = make(chan struct{}), make(chan struct{})
	go s.cleanSessions(ctx)
	go func() {
		defer close(s.sessionsHeard)
		s.hearSessionsEnded(ctx)
	}()
	go func() {
		defer close(s.outboxDone)
		s.runOutbox(ctx)
	}()
	return s
}

// Close stops the background work (the cleanup of expired sessions, the mail outbox's
// worker) and waits for it, and removes the temporary file storage if New made one.
// Mail still queued stays in the outbox for the next process.
func (s *Server) Close() {
	s.threadHub.close()
	s.stopCleanup()
	<-s.cleanupDone
	<-s.outboxDone
	<-s.sessionsHeard
	s.closeFiles()
}

// cleanSessions deletes expired sessions and old rate counts every
// sessionCleanupInterval until ctx ends.
func (s *Server) cleanSessions(ctx context.Context) {
	defer close(s.cleanupDone)
	tick := time.NewTicker(sessionCleanupInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			n, err := s.store.DeleteExpiredSessions(ctx)
			if err != nil && ctx.Err() == nil {
				s.log.Error("clean up sessions", slog.Any("error", err))
			} else if n > 0 {
				s.log.Debug("expired sessions deleted", slog.Int64("count", n))
			}
			// The longest limit's window is an hour; a day keeps every one needed.
			_, err = s.store.DeleteOldRateCounts(ctx, time.Now().Add(-24*time.Hour))
			if err != nil && ctx.Err() == nil {
				s.log.Error("clean up rate counts", slog.Any("error", err))
			}
		}
	}
}

// Drain makes /readyz answer 503, so that a load balancer stops sending requests
// before the server shuts down. It also ends the threads' live streams, which would
// otherwise hold the shutdown until its deadline: their browsers reconnect to another
// process, or to this one's successor, and catch up.
func (s *Server) Drain() {
	s.draining.Store(true)
	s.threadHub.close()
}

// isTLS reports whether the browser reached the portal over HTTPS.
func (s *Server) isTLS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	return s.cfg.TrustedProxy && r.Header.Get("X-Forwarded-Proto") == "https"
}
