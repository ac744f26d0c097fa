// Command portal runs the JusB Portal: its web server and the operator commands that
// create organizations and users and load the demo data.
package main

import (
	"context"
	"errors"
	"flag"
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
  files sweep           [--grace 24h] [--dry-run] remove blobs that belong to no
                        file and leftovers of unfinished uploads
  files check           [--limit N] compare every file's blob (or N of them, at
                        random) with the size and SHA-256 recorded at upload

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
// The command is recognised before the settings are read, so that help and a mistyped
// command need no database settings.
func run(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: no command given", errUsage)
	}
	var command func(cfg config, log *slog.Logger) error
	switch cmd, rest := args[0], args[1:]; {
	case cmd == "serve":
		command = func(cfg config, log *slog.Logger) error {
			return serve(ctx, cfg, log, rest, stdout)
		}
	case cmd == "seed-demo":
		command = func(cfg config, log *slog.Logger) error {
			return seedDemo(ctx, cfg, log, rest, stdout)
		}
	case cmd == "org" && len(rest) > 0 && rest[0] == "create":
		command = func(cfg config, _ *slog.Logger) error {
			return createOrg(ctx, cfg, rest[1:], stdout)
		}
	case cmd == "files" && len(rest) > 0 && rest[0] == "sweep":
		command = func(cfg config, log *slog.Logger) error {
			return sweepFiles(ctx, cfg, log, rest[1:], stdout)
		}
	case cmd == "files" && len(rest) > 0 && rest[0] == "check":
		command = func(cfg config, log *slog.Logger) error {
			return checkFiles(ctx, cfg, log, rest[1:], stdout)
		}
	case cmd == "user" && len(rest) > 0 && rest[0] == "create":
		command = func(cfg config, _ *slog.Logger) error {
			return createUser(ctx, cfg, rest[1:], stdin, stdout)
		}
	case cmd == "help" || cmd == "-h" || cmd == "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		return fmt.Errorf("%w: unknown command %q", errUsage, args[0])
	}

	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	return command(cfg, newLogger(cfg))
}

// parseFlags parses args into fs and refuses positional arguments, which flag would
// otherwise drop without a word: an unquoted name with a space would lose its second
// word, and any flag after it would go unread.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %s: %v", errUsage, fs.Name(), err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: %s: unexpected argument %q (quote a value with spaces)",
			errUsage, fs.Name(), fs.Arg(0))
	}
	return nil
}

func newLogger(cfg config) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.Production {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}
