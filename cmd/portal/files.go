package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jusb/portal/handlers"
	"github.com/jusb/portal/handlers/storage"
)

// defaultFilesDir is where files are kept on the local disk when FILES_DIR is not
// set: beside the local database cluster, outside static/, ignored by git.
const defaultFilesDir = ".data/files"

// filesSettings are the settings of file storage and uploads, as given: a setting
// that is not set stays empty, and the defaults apply when the storage is opened.
type filesSettings struct {
	// Storage is "local" (also when empty) or "s3".
	Storage string
	// Dir is the local storage's directory; defaultFilesDir when empty.
	Dir string
	S3  storage.S3Config
	// MaxBytes is the upload limit; 0 keeps the portal's default (100 MiB).
	MaxBytes int64
	// AllowedTypes are the media types uploads may have; nil keeps the default list.
	AllowedTypes []string
	// OrgQuotaBytes and OrgQuotaFiles bound each organization's live files; 0 keeps
	// the portal's defaults (10 GiB, 10,000 files).
	OrgQuotaBytes int64
	OrgQuotaFiles int32
}

// loadFilesSettings reads STORAGE, FILES_DIR, the S3_ settings, UPLOAD_MAX_BYTES,
// UPLOAD_ALLOWED_TYPES and the organization's quota (UPLOAD_ORG_QUOTA_BYTES,
// UPLOAD_ORG_QUOTA_FILES), refusing values that cannot work.
func loadFilesSettings() (filesSettings, error) {
	f := filesSettings{
		Storage: os.Getenv("STORAGE"),
		Dir:     os.Getenv("FILES_DIR"),
		S3: storage.S3Config{
			Bucket:          os.Getenv("S3_BUCKET"),
			Endpoint:        os.Getenv("S3_ENDPOINT"),
			Region:          os.Getenv("S3_REGION"),
			AccessKeyID:     os.Getenv("S3_ACCESS_KEY_ID"),
			SecretAccessKey: os.Getenv("S3_SECRET_ACCESS_KEY"),
		},
	}
	var err error
	if f.S3.ForcePathStyle, err = getbool("S3_FORCE_PATH_STYLE"); err != nil {
		return f, err
	}
	switch f.Storage {
	case "", "local":
	case "s3":
		if f.S3.Bucket == "" || f.S3.AccessKeyID == "" || f.S3.SecretAccessKey == "" {
			return f, errors.New("STORAGE=s3 needs S3_BUCKET, S3_ACCESS_KEY_ID and " +
				"S3_SECRET_ACCESS_KEY")
		}
	default:
		return f, fmt.Errorf("STORAGE must be local or s3, not %q", f.Storage)
	}
	if f.MaxBytes, err = positive("UPLOAD_MAX_BYTES", "bytes", 63); err != nil {
		return f, err
	}
	if f.OrgQuotaBytes, err = positive("UPLOAD_ORG_QUOTA_BYTES", "bytes", 63); err != nil {
		return f, err
	}
	files, err := positive("UPLOAD_ORG_QUOTA_FILES", "files", 31)
	if err != nil {
		return f, err
	}
	f.OrgQuotaFiles = int32(files)
	if v := os.Getenv("UPLOAD_ALLOWED_TYPES"); v != "" {
		for _, t := range strings.Split(v, ",") {
			t = strings.ToLower(strings.TrimSpace(t))
			if t == "" {
				continue
			}
			if mt, params, err := mime.ParseMediaType(t); err != nil || len(params) > 0 ||
				!strings.Contains(mt, "/") {
				return f, fmt.Errorf("UPLOAD_ALLOWED_TYPES: %q is not a media type such "+
					"as application/pdf", t)
			}
			f.AllowedTypes = append(f.AllowedTypes, t)
		}
	}
	return f, nil
}

// positive reads the environment variable name as a whole number of what above 0
// that fits in bits bits; 0 when it is not set.
func positive(name, what string, bits int) (int64, error) {
	v := os.Getenv(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, bits+1)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s must be a number of %s above 0, not %q", name, what, v)
	}
	return n, nil
}

// openStorage opens the configured storage. A local directory inside static/ is
// refused: files must never be where a file server might publish them.
func (f filesSettings) openStorage() (storage.Storage, error) {
	if f.Storage == "s3" {
		st, err := storage.NewS3(f.S3)
		if err != nil {
			return nil, fmt.Errorf("open file storage: %w", err)
		}
		return st, nil
	}
	dir := f.Dir
	if dir == "" {
		dir = defaultFilesDir
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("FILES_DIR: %w", err)
	}
	if static, err := filepath.Abs("static"); err == nil {
		if rel, err := filepath.Rel(static, abs); err == nil && !strings.HasPrefix(rel, "..") {
			return nil, fmt.Errorf("FILES_DIR %s is inside static/; choose a directory "+
				"that is never served", dir)
		}
	}
	st, err := storage.NewLocal(abs)
	if err != nil {
		return nil, fmt.Errorf("open file storage: %w", err)
	}
	return st, nil
}

// handlersConfig opens the storage and returns the files settings of the server.
func (f filesSettings) handlersConfig() (handlers.FilesConfig, error) {
	st, err := f.openStorage()
	if err != nil {
		return handlers.FilesConfig{}, err
	}
	return handlers.FilesConfig{Storage: st, MaxBytes: f.MaxBytes,
		AllowedTypes: f.AllowedTypes, OrgQuotaBytes: f.OrgQuotaBytes,
		OrgQuotaFiles: f.OrgQuotaFiles}, nil
}

// minSweepGrace keeps the sweeper away from uploads in progress: a blob is final a
// moment before its row commits.
const minSweepGrace = time.Minute

// sweepFiles removes the blobs that belong to no file (never recorded, or deleted)
// and the leftovers of unfinished uploads, older than a grace period, and reports
// what it counted. Run it from cron, say daily.
func sweepFiles(ctx context.Context, cfg config, log *slog.Logger, args []string,
	stdout io.Writer) error {
	fs := flag.NewFlagSet("files sweep", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	grace := fs.Duration("grace", 24*time.Hour, "spare what is younger than this")
	dryRun := fs.Bool("dry-run", false, "count, remove nothing")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *grace < minSweepGrace {
		return fmt.Errorf("files sweep: --grace must be at least %v", minSweepGrace)
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

	rep, err := storage.Sweep(ctx, st, storage.SweepOptions{Grace: *grace,
		Live: store.LiveStorageKeys, DryRun: *dryRun,
		OnError: func(it storage.Item, err error) {
			log.Warn("sweep: remove", slog.String("key", it.Key),
				slog.Bool("temporary", it.Temporary), slog.Any("error", err))
		}})
	if err != nil {
		return fmt.Errorf("files sweep: %w", err)
	}
	log.Info("files swept", slog.Int("blobs", rep.Blobs), slog.Int("kept", rep.Kept),
		slog.Int("orphans", rep.Orphans), slog.Int("leftovers", rep.Leftovers),
		slog.Int("young", rep.Young), slog.Int("failed", rep.Failed),
		slog.Bool("dry_run", *dryRun))

	verb := "removed"
	if *dryRun {
		verb = "to remove"
	}
	fmt.Fprintf(stdout, "blobs: %d, of files: %d\n", rep.Blobs, rep.Kept)
	fmt.Fprintf(stdout, "blobs without a file %s: %d\n", verb, rep.Orphans)
	fmt.Fprintf(stdout, "leftovers of unfinished uploads %s: %d\n", verb, rep.Leftovers)
	fmt.Fprintf(stdout, "younger than %v, spared: %d\n", *grace, rep.Young)
	if rep.Failed > 0 {
		return fmt.Errorf("files sweep: %d removals failed (see the log); run it again",
			rep.Failed)
	}
	return nil
}
