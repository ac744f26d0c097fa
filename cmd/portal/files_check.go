package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/google/uuid"

	"github.com/jusb/portal/handlers/storage"
)

// checkPage is how many files one database read of `files check` brings.
const checkPage = 500

// checkFiles reads the blob of every live file (or of --limit of them: files come in
// ID order, and IDs are random, so that is a random sample) and compares it with the
// size and SHA-256 its row recorded at upload. Each file that does not match is
// printed and logged; any of them, or a blob that could not be read, fails the
// command. It changes nothing. It is the check of a restore drill, and finds the
// rows whose blob went missing, which the sweeper does not look for.
func checkFiles(ctx context.Context, cfg config, log *slog.Logger, args []string,
	stdout io.Writer) error {
	fs := flag.NewFlagSet("files check", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	limit := fs.Int("limit", 0, "check at most this many files (0: all)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *limit < 0 {
		return fmt.Errorf("files check: --limit must be 0 or more, not %d", *limit)
	}

	st, err := cfg.Files.openStorage()
	if err != nil {
		return err
	}
	store, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()

	var checked, faults, failed int
	after := uuid.Nil
	for *limit == 0 || checked < *limit {
		files, err := store.FilesToCheck(ctx, after, checkPage)
		if err != nil {
			return fmt.Errorf("files check: %w", err)
		}
		for _, f := range files {
			if *limit > 0 && checked == *limit {
				break
			}
			checked++
			fault, err := storage.Check(ctx, st, f.StorageKey, f.Size, f.Sha256)
			switch {
			case err != nil:
				failed++
				log.Error("files check: blob not read", slog.String("file_id", f.ID.String()),
					slog.String("org", f.OrgSlug), slog.Any("error", err))
			case fault != "":
				faults++
				log.Error("files check: blob does not match its file",
					slog.String("file_id", f.ID.String()), slog.String("org", f.OrgSlug),
					slog.String("fault", string(fault)))
				fmt.Fprintf(stdout, "%s\t%s\t%q\t%s\n", f.OrgSlug, f.ID, f.Filename, fault)
			}
		}
		if len(files) < checkPage {
			break
		}
		after = files[len(files)-1].ID
	}

	fmt.Fprintf(stdout, "files checked: %d, intact: %d, not matching: %d, not read: %d\n",
		checked, checked-faults-failed, faults, failed)
	if faults > 0 || failed > 0 {
		return fmt.Errorf("files check: %d files do not match their rows and %d could not "+
			"be read (listed above and in the log)", faults, failed)
	}
	return nil
}
