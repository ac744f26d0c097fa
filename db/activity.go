package db

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// ActivityFilter selects entries of an organization's activity log. A zero field
// filters nothing.
type ActivityFilter struct {
	ActorID    *uuid.UUID
	Action     string
	TargetType string
	// Since is the first moment shown, Until the first moment past the range.
	Since, Until *time.Time
	// Text is searched for word by word: an entry matches when every word of Text
	// (a run of letters and digits) starts a word of its summary or of its actor's
	// name, in any order, whatever the case.
	Text string
}

// ActivityCursor marks where a page of the log ends: the next page holds the entries
// older than this one, in (created_at, id) order, so that entries written at the same
// moment are neither repeated nor skipped.
type ActivityCursor struct {
	At time.Time
	ID int64
}

// ActivityQuery asks for one page of the log.
type ActivityQuery struct {
	Filter ActivityFilter
	// Before, if set, starts the page after that entry; nil starts at the newest.
	Before *ActivityCursor
	// Rows is the page size; 0 reads no entries, only the people (and choices).
	Rows int32
	// ScanRows bounds how many entries passing the other filters a search reads when
	// it reads the log rather than the word index; 0 means ActivityScanRows.
	ScanRows int32
	// WithChoices also reads the actions and target types that occur in the log, which
	// the full page offers in its filter form.
	WithChoices bool
}

// ActivityLog is one page of the activity log and what its filter form offers.
type ActivityLog struct {
	Entries []ListActivityRow
	// Older, when set, is where the next page starts: older entries may pass the
	// filter. It is the last entry of Entries, or, when a search stopped reading the log
	// before the page was full, the last entry it read (and Stopped is true).
	Older   *ActivityCursor
	Stopped bool
	// Actors are the people the log may name: the organization's members and staff.
	Actors []ListActivityActorsRow
	// Actions and TargetTypes are set only WithChoices.
	Actions, TargetTypes []string
}

// ActivityScanRows is how many entries a page's search reads at most when it reads the
// log: a search for words that are frequent but seldom together would otherwise read the
// whole log to fill a page. About 10 ms on the development machine.
const ActivityScanRows = 10_000

// pageSettings prepare the rest of the transaction for ListActivity. Each statement is
// planned for its actual arguments: a generic plan cannot tell which of the optional
// filters are set, and falls back to reading the whole organization's log. And no
// bitmap scans: they read every index entry that matches before the first row comes,
// where ListActivity wants an index read in order that stops when the page is full.
// And no JIT: the statement's ways that will not run still count in its estimated
// cost, which passes jit_above_cost at a million entries, and compiling its
// expressions took 25 ms where the page takes 2.
const pageSettings = "SELECT set_config('plan_cache_mode', 'force_custom_plan', true), " +
	"set_config('enable_bitmapscan', 'off', true), set_config('jit', 'off', true)"

// exportSettings are pageSettings for an export, which reads every entry that passes
// the filter: read them in the log's order through its indexes, so that the first rows
// leave at once, rather than all of them and sort; and give the statement as long as
// the client takes to download.
var exportSettings = pageSettings + ", set_config('enable_seqscan', 'off', true), " +
	fmt.Sprintf("set_config('statement_timeout', '%dms', true)", exportTimeout.Milliseconds())

// LoadActivityLog reads one page of org's activity log, and what the filter form
// offers, in one round trip.
func (s *Store) LoadActivityLog(ctx context.Context, org OrgID, q ActivityQuery) (
	ActivityLog, error) {
	var log ActivityLog
	params := q.params(org)

	err := s.ReadInOrg(ctx, org, func(r *Reads) {
		r.batch.Queue(pageSettings)
		readMany(r, listActivityActors, &log.Actors, org)
		if q.WithChoices {
			readColumn(r, listActivityActions, &log.Actions, org)
			readColumn(r, listActivityTargetTypes, &log.TargetTypes, org)
		}
		if q.Rows > 0 {
			readMany(r, listActivity, &log.Entries, params.args()...)
		}
	})
	if err != nil {
		return ActivityLog{}, fmt.Errorf("load activity log: %w", err)
	}
	log.Entries, log.Older, log.Stopped = pageEnd(log.Entries, q.Rows)
	return log, nil
}

// pageEnd cuts the rows ListActivity (or ListActivityGlobal) returned for a page of
// size rows: the entries to show, and where the next page starts, if anywhere. The rows
// are the page, plus one more entry if there are older ones, or plus the last entry a
// stopped search read.
func pageEnd[T pageRow](got []T, rows int32) ([]T, *ActivityCursor, bool) {
	if n := len(got); n > 0 && !got[n-1].matched() {
		c := got[n-1].cursor()
		return got[:n-1], &c, true
	}
	if len(got) <= int(rows) {
		return got, nil, false
	}
	got = got[:rows]
	c := got[rows-1].cursor()
	return got, &c, false
}

// pageRow is an entry of a page of the log, in the workspace or across organizations.
type pageRow interface {
	cursor() ActivityCursor
	matched() bool
}

func (e ListActivityRow) cursor() ActivityCursor { return ActivityCursor{e.CreatedAt, e.ID} }
func (e ListActivityRow) matched() bool          { return e.Matched }

// exportTimeout bounds an export's statement, which lasts as long as the client takes
// to download the rows.
const exportTimeout = 10 * time.Minute

// ExportActivity calls each for every entry of org's log that passes f, newest first,
// as the rows arrive from the database: however many there are, only one is held in
// memory at a time. An error from each stops the export and is returned.
func (s *Store) ExportActivity(ctx context.Context, org OrgID, f ActivityFilter,
	each func(ListActivityRow) error) error {
	params := f.params(org)
	return s.InOrg(ctx, org, func(q *Queries) error {
		if _, err := q.db.Exec(ctx, exportSettings); err != nil {
			return fmt.Errorf("export activity: settings: %w", err)
		}

		rows, err := q.db.Query(ctx, listActivity, params.args()...)
		if err != nil {
			return fmt.Errorf("export activity: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var e ListActivityRow
			if err := rows.Scan(&e.ID, &e.CreatedAt, &e.ActorID, &e.ActorName, &e.Action,
				&e.TargetType, &e.TargetID, &e.Summary, &e.Matched); err != nil {
				return fmt.Errorf("export activity: read row: %w", err)
			}
			if err := each(e); err != nil {
				return err
			}
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("export activity: %w", err)
		}
		return nil
	})
}

// ExplainActivityLog runs the query of one page of the log as LoadActivityLog does,
// under EXPLAIN ANALYZE, and returns PostgreSQL's plan: which index served the filter,
// and what it cost. The benchmark checks and reports it; an operator may too.
func (s *Store) ExplainActivityLog(ctx context.Context, org OrgID, q ActivityQuery) (
	string, error) {
	var plan string
	err := s.InOrg(ctx, org, func(tx *Queries) error {
		var err error
		plan, err = tx.explainPage(ctx, listActivity, q.params(org).args()...)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("explain activity log: %w", err)
	}
	return plan, nil
}

// explainPage runs sql with the page batches' settings under EXPLAIN ANALYZE, inside
// q's transaction, and returns the plan.
func (q *Queries) explainPage(ctx context.Context, sql string, args ...any) (string, error) {
	if _, err := q.db.Exec(ctx, pageSettings); err != nil {
		return "", err
	}
	rows, err := q.db.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+sql, args...)
	if err != nil {
		return "", err
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return strings.Join(lines, "\n"), err
}

// params returns ListActivity's arguments for the page: the filter, the cursor, and
// one row more than the page shows, which tells whether older entries exist.
func (q ActivityQuery) params(org OrgID) ListActivityParams {
	p := q.Filter.params(org)
	p.MaxRows = new(q.Rows + 1)
	p.ScanRows = new(int32(ActivityScanRows))
	if q.ScanRows > 0 {
		p.ScanRows = &q.ScanRows
	}
	if q.Before != nil {
		p.BeforeAt, p.BeforeID = &q.Before.At, q.Before.ID
	}
	return p
}

// params turns the filter into ListActivity's arguments, without cursor or limit.
func (f ActivityFilter) params(org OrgID) ListActivityParams {
	return ListActivityParams{OrgID: org, Search: f.Text, ActorID: f.ActorID,
		Action: f.Action, TargetType: f.TargetType, Since: f.Since, Until: f.Until}
}

// args lists the parameters as the query's $1, $2, ... take them.
func (p ListActivityParams) args() []any { return paramArgs(p) }

// paramArgs lists the fields of a sqlc Params struct in order. sqlc declares them in
// the order of the query's $1, $2, ..., so reading them in turn keeps the two in step
// when the query changes, where a hand-written list could swap Since and Until unseen.
func paramArgs(p any) []any {
	v := reflect.ValueOf(p)
	out := make([]any, v.NumField())
	for i := range out {
		out[i] = v.Field(i).Interface()
	}
	return out
}

// readColumn queues a query of one column whose values land in dst. (readMany needs
// a struct per row; sqlc returns a one-column query's values as a plain slice.)
func readColumn[T any](r *Reads, sql string, dst *[]T, args ...any) {
	r.batch.Queue(sql, args...).Query(func(rows pgx.Rows) error {
		out, err := pgx.CollectRows(rows, pgx.RowTo[T])
		if err != nil {
			return fmt.Errorf("read column: %w", err)
		}
		*dst = out
		return nil
	})
}

// CreateActivity queues an activity entry, written with the rest of the change.
func (w *Writes) CreateActivity(arg CreateActivityParams) {
	writeExec(w, createActivity, arg.OrgID, arg.ActorID, arg.Action, arg.TargetType,
		arg.TargetID, arg.Summary)
}
