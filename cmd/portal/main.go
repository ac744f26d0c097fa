// Command portal runs the JusB Portal: its web server and the operator commands that
// create organizations and users and load the demo data.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: portal <command> [flags]

commands:
  serve                 run the web server (ADDR, default 127.0.0.1:8080)
  org create            --name NAME --slug SLUG
  user create           --org SLUG --email EMAIL --role ROLE [--name NAME]
                        (the password is read from standard input)
  seed-demo             create or refresh the demo organizations and users

settings come from the environment and from .env when present; see .env.example.
`

// errUsage marks a command line that could not be understood.
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout)
	stop()
	if err != nil {
		if errors.Is(err, errUsage) {
			fmt.Fprint(os.Stderr, usage)
		}
		fmt.Fprintf(os.Stderr, "portal: %v\n", err)
		os.Exit(1)
	}
}

// run dispatches a command line. Each command returns a one-line error on bad input.
func run(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: no command given", errUsage)
	}
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	log := newLogger(cfg)

	switch cmd, rest := args[0], args[1:]; {
	case cmd == "serve":
		return serve(ctx, cfg, log, rest, stdout)
	case cmd == "seed-demo":
		return seedDemo(ctx, cfg, log, rest, stdout)
	case cmd == "org" && len(rest) > 0 && rest[0] == "create":
		return createOrg(ctx, cfg, rest[1:], stdout)
	case cmd == "user" && len(rest) > 0 && rest[0] == "create":
		return createUser(ctx, cfg, rest[1:], stdin, stdout)
	case cmd == "help" || cmd == "-h" || cmd == "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		return fmt.Errorf("%w: unknown command %q", errUsage, args[0])
	}
}

func newLogger(cfg config) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.Production {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}
