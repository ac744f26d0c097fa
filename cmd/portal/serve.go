package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/jusb/portal/db"
	"github.com/jusb/portal/handlers"
	"github.com/jusb/portal/handlers/email"
	"github.com/jusb/portal/handlers/password"
)

// shutdownGrace is how long in-flight requests get to finish after SIGTERM or SIGINT.
const shutdownGrace = 20 * time.Second

func serve(ctx context.Context, cfg config, log *slog.Logger, args []string,
	stdout io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if err := parseFlags(fs, args); err != nil {
		return err
	}

	// Settings first: a production server without them would otherwise wait for its
	// database before saying what is missing.
	if err := cfg.checkProduction(); err != nil {
		return err
	}
	store, err := waitForStore(ctx, log, db.PoolOptions{AppURL: cfg.AppURL,
		StaffURL: cfg.StaffURL})
	if err != nil {
		return fmt.Errorf("connect to database (is it migrated? try `make migrate`): %w", err)
	}
	defer store.Close()

	hasher, err := password.NewHasher(password.DefaultParams)
	if err != nil {
		return err
	}
	files, err := cfg.Files.handlersConfig()
	if err != nil {
		return err
	}
	hcfg := handlers.Config{Production: cfg.Production, TrustedProxy: cfg.TrustedProxy,
		Files: files, PublicURL: cfg.Mail.PublicURL, TOTPKey: cfg.TOTPKey,
		TOTPOldKeys: cfg.TOTPOldKeys}
	if cfg.Mail.SMTP != nil {
		if hcfg.Mail, err = email.NewSMTP(*cfg.Mail.SMTP); err != nil {
			return err
		}
	} else {
		log.Info("no SMTP_HOST: e-mails are written to this log instead of being sent")
	}
	srv := handlers.New(hcfg, store, hasher, log)
	defer srv.Close()
	if n, err := srv.SealStoredTOTPKeys(ctx); err != nil {
		return err
	} else if n > 0 {
		log.Info("two-factor keys sealed under the current TOTP_KEY", slog.Int("keys", n))
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	httpServer := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}

	fmt.Fprintf(stdout, "JusB Portal is listening on http://%s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- httpServer.Serve(ln) }()

	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}

	log.Info("shutting down", slog.Duration("drain_wait", cfg.DrainWait),
		slog.Duration("grace", shutdownGrace))
	srv.Drain()
	// Still serving, but not ready: the load balancer stops sending new requests.
	time.Sleep(cfg.DrainWait)
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := httpServer.Shutdown(sctx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("stopped")
	return nil
}

// storeWaitMax is the longest pause between two tries to reach the database at start.
const storeWaitMax = 10 * time.Second

// waitForStore connects to the database, waiting for it while it cannot be reached, as
// when it starts after the portal or is restarting: the portal starts listening, and
// so becomes ready, only once it answers. Each try is logged. Any other failure, such
// as a wrong password or a database that is not migrated, ends it at once.
func waitForStore(ctx context.Context, log *slog.Logger, opts db.PoolOptions) (*db.Store,
	error) {
	wait := 250 * time.Millisecond
	for {
		store, err := db.Open(ctx, opts)
		if err == nil || !db.IsUnavailable(err) {
			return store, err
		}
		log.Warn("database not reachable; trying again", slog.Duration("in", wait),
			slog.Any("error", err))
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for the database: %w", err)
		case <-time.After(wait):
		}
		wait = min(2*wait, storeWaitMax)
	}
}

// checkProduction refuses, in production, the settings that only suit development:
// e-mail written to the log, links without https, and the development TOTP key.
func (c config) checkProduction() error {
	if !c.Production {
		return nil
	}
	if err := c.Mail.checkProduction(); err != nil {
		return err
	}
	if c.TOTPKey == nil {
		return errors.New("production needs TOTP_KEY, the key that seals two-factor " +
			"keys in the database: make one with `openssl rand -base64 32`")
	}
	return nil
}
