package handlers

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/jusb/portal/db"
)

// exportHeader names the CSV columns.
var exportHeader = []string{"id", "time", "actor", "actor_id", "action", "target_type",
	"target_id", "summary"}

// Every exportFlushRows rows the export pushes what it has to the client and gives
// the client exportWriteWindow more to take it: a slow download that keeps moving is
// never cut off by the server's write timeout, a stalled one is.
const (
	exportFlushRows   = 1000
	exportWriteWindow = time.Minute
)

// exportActivity sends every entry that passes the URL's filter (the log's filter, on
// all its pages) as CSV, newest first. Rows go out as they come from the database, so
// the export's memory stays the same however long the log is. Once rows have gone
// out, a failure can no longer change the status: the connection is then cut, so that
// the client sees a broken download rather than a short file that looks whole.
func (s *Server) exportActivity(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	ws, _ := WorkspaceFrom(ctx)
	v, _ := ViewerFrom(ctx)

	in := readActivityInput(r.URL.Query())
	in.Before = "" // an export holds every page
	req := parseActivityInput(in)
	if err := s.checkExportActor(ctx, ws.OrgID, &req); err != nil {
		return err
	}
	if len(req.errors) > 0 {
		return &httpError{status: http.StatusUnprocessableEntity,
			message: "The filter of this export is not valid. Go back to the activity " +
				"log, correct the filter and export again."}
	}

	out := newActivityCSV(w, ws.Slug)
	err := s.store.ExportActivity(ctx, ws.OrgID, req.filter, out.write)
	return s.endExport(r, out, err, slog.String("org_id", ws.OrgID.String()),
		slog.String("user_id", v.ID.String()))
}

// endExport finishes an export that err ended (nil: all rows sent), and logs it with
// attrs. An error before the first row is returned, for an error page; after it, the
// connection is cut.
func (s *Server) endExport(r *http.Request, out *activityCSV, err error,
	attrs ...any) error {
	ctx := r.Context()
	if err == nil {
		err = out.finish()
	}
	if err != nil && !out.started {
		return fmt.Errorf("export activity of %s: %w", out.slug, err)
	}

	attrs = append([]any{slog.String("request_id", middleware.GetReqID(ctx))}, attrs...)
	attrs = append(attrs, slog.Int("rows", out.rows))
	if err != nil {
		level := slog.LevelError
		if errors.Is(err, context.Canceled) {
			level = slog.LevelInfo // the client went away
		}
		s.log.Log(ctx, level, "activity export cut off", append(attrs,
			slog.Any("error", err))...)
		panic(http.ErrAbortHandler)
	}
	s.log.Info("activity exported", attrs...)
	return nil
}

// checkExportActor refuses an actor who is not one of the organization's people, as
// the page does. It costs a read before the export, which the page does not need.
func (s *Server) checkExportActor(ctx context.Context, org db.OrgID,
	req *activityRequest) error {
	if req.filter.ActorID == nil {
		return nil
	}
	log, err := s.store.LoadActivityLog(ctx, org, db.ActivityQuery{})
	if err != nil {
		return fmt.Errorf("load actors for export: %w", err)
	}
	req.checkActor(log.Actors)
	return nil
}

// activityCSV writes the export's response. Nothing is written until the first row,
// or finish when there is none, so that an early failure still gets an error page.
type activityCSV struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	csv     *csv.Writer
	slug    string
	started bool
	rows    int
	// withOrg adds the organization column, for the export across organizations.
	withOrg bool
}

func newActivityCSV(w http.ResponseWriter, slug string) *activityCSV {
	return &activityCSV{w: w, rc: http.NewResponseController(w), csv: csv.NewWriter(w),
		slug: slug}
}

func (a *activityCSV) start() error {
	a.started = true
	h := a.w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="activity-`+a.slug+"-"+
		time.Now().UTC().Format(dateLayout)+`.csv"`)
	a.extendDeadline()
	if a.withOrg {
		return a.csv.Write(append(slices.Clip(exportHeader), "organization"))
	}
	return a.csv.Write(exportHeader)
}

func (a *activityCSV) write(e db.ListActivityRow) error { return a.writeEntry(e, "") }

// writeGlobal writes an entry of the log across organizations, with its organization's
// slug.
func (a *activityCSV) writeGlobal(e db.ListActivityGlobalRow) error {
	return a.writeEntry(db.ListActivityRow{ID: e.ID, CreatedAt: e.CreatedAt,
		ActorID: e.ActorID, ActorName: e.ActorName, Action: e.Action,
		TargetType: e.TargetType, TargetID: e.TargetID, Summary: e.Summary}, e.OrgSlug)
}

func (a *activityCSV) writeEntry(e db.ListActivityRow, org string) error {
	if !a.started {
		if err := a.start(); err != nil {
			return err
		}
	}
	actorID, targetID := "", ""
	if e.ActorID != nil {
		actorID = e.ActorID.String()
	}
	if e.TargetID != nil {
		targetID = e.TargetID.String()
	}
	record := []string{strconv.FormatInt(e.ID, 10),
		e.CreatedAt.UTC().Format(time.RFC3339), spreadsheetSafe(e.ActorName), actorID,
		spreadsheetSafe(e.Action), spreadsheetSafe(e.TargetType), targetID,
		spreadsheetSafe(e.Summary)}
	if a.withOrg {
		record = append(record, org) // a slug cannot start a formula
	}
	err := a.csv.Write(record)
	if err != nil {
		return fmt.Errorf("write csv row: %w", err)
	}
	a.rows++
	if a.rows%exportFlushRows == 0 {
		return a.flush()
	}
	return nil
}

// finish writes what is buffered, the header at least.
func (a *activityCSV) finish() error {
	if !a.started {
		if err := a.start(); err != nil {
			return err
		}
	}
	return a.flush()
}

func (a *activityCSV) flush() error {
	a.csv.Flush()
	if err := a.csv.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	a.extendDeadline()
	if err := a.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return fmt.Errorf("flush csv: %w", err)
	}
	return nil
}

func (a *activityCSV) extendDeadline() {
	// Writers that cannot take a deadline (test recorders) have no timeout to extend.
	_ = a.rc.SetWriteDeadline(time.Now().Add(exportWriteWindow))
}

// spreadsheetSafe keeps a spreadsheet from reading a cell as a formula: a value that
// starts with one of the characters that begin a formula gets a leading apostrophe,
// which spreadsheets show as text and do not evaluate (OWASP's CSV injection advice).
func spreadsheetSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
