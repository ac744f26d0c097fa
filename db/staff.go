package db

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// ReadStaff runs the reads that queue adds in one round trip on the staff connection,
// which sees every organization, like ReadInOrg does for one. The batch forms one
// implicit transaction, so settings made transaction-local end with it. Only staff
// routes call it.
func (s *Store) ReadStaff(ctx context.Context, queue func(r *Reads)) error {
	r := &Reads{batch: &pgx.Batch{}}
	queue(r)
	conn, err := s.staff.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("acquire staff connection: %w", err)
	}
	defer conn.Release()
	if err := conn.SendBatch(ctx, r.batch).Close(); err != nil {
		return translate(err)
	}
	return nil
}

// OrganizationSummaries reads the staff's table of organizations: those whose name or
// slug contains search (all when empty), at most rows, with their counts, in one
// statement and one round trip.
func (s *Store) OrganizationSummaries(ctx context.Context, search string, rows int32) (
	[]ListOrganizationSummariesGlobalRow, error) {
	var out []ListOrganizationSummariesGlobalRow
	err := s.ReadStaff(ctx, func(r *Reads) {
		readMany(r, listOrganizationSummariesGlobal, &out, "", search, rows)
	})
	if err != nil {
		return nil, fmt.Errorf("list organizations: %w", err)
	}
	return out, nil
}

// OrganizationSummary reads one organization by slug, with its counts, as the staff's
// table shows it; ErrNotFound when there is no such slug.
func (s *Store) OrganizationSummary(ctx context.Context, slug string) (
	ListOrganizationSummariesGlobalRow, error) {
	var out ListOrganizationSummariesGlobalRow
	err := s.ReadStaff(ctx, func(r *Reads) {
		readOne(r, listOrganizationSummariesGlobal, &out, slug, "", int32(1))
	})
	if err != nil {
		return out, fmt.Errorf("load organization %s: %w", slug, err)
	}
	return out, nil
}

// GlobalActivityQuery asks for one page of the activity log across organizations.
type GlobalActivityQuery struct {
	ActivityQuery
	// Org, if set, keeps the page to one organization.
	Org *OrgID
}

// GlobalActivityLog is one page of the log across organizations and what the filter
// form offers.
type GlobalActivityLog struct {
	Entries []ListActivityGlobalRow
	// Older and Stopped are as in ActivityLog.
	Older   *ActivityCursor
	Stopped bool
	// Orgs are every organization, for the organization filter.
	Orgs []ListOrganizationChoicesGlobalRow
	// Actors are JusB staff and the members of Org, if set.
	Actors []ListActivityActorsGlobalRow
	// Actions and TargetTypes are set only WithChoices.
	Actions, TargetTypes []string
}

// LoadGlobalActivity reads one page of the log across organizations, and what the
// filter form offers, in one round trip on the staff connection.
func (s *Store) LoadGlobalActivity(ctx context.Context, q GlobalActivityQuery) (
	GlobalActivityLog, error) {
	var log GlobalActivityLog
	params := q.params()

	err := s.ReadStaff(ctx, func(r *Reads) {
		r.batch.Queue(pageSettings)
		readMany(r, listOrganizationChoicesGlobal, &log.Orgs)
		readMany(r, listActivityActorsGlobal, &log.Actors, params.OrgID)
		if q.WithChoices {
			readColumn(r, listActivityActionsGlobal, &log.Actions)
			readColumn(r, listActivityTargetTypesGlobal, &log.TargetTypes)
		}
		if q.Rows > 0 {
			readMany(r, listActivityGlobal, &log.Entries, paramArgs(params)...)
		}
	})
	if err != nil {
		return GlobalActivityLog{}, fmt.Errorf("load global activity: %w", err)
	}
	log.Entries, log.Older, log.Stopped = pageEnd(log.Entries, q.Rows)
	return log, nil
}

// ExportActivityGlobal calls each for every entry across organizations (or of org, if
// set) that passes f, newest first, as the rows arrive, like ExportActivity.
func (s *Store) ExportActivityGlobal(ctx context.Context, org *OrgID, f ActivityFilter,
	each func(ListActivityGlobalRow) error) error {
	params := GlobalActivityQuery{ActivityQuery: ActivityQuery{Filter: f}, Org: org}.params()
	params.MaxRows, params.ScanRows, params.BeforeAt = nil, nil, nil
	return s.Staff(ctx, func(q *Queries) error {
		if _, err := q.db.Exec(ctx, exportSettings); err != nil {
			return fmt.Errorf("export global activity: settings: %w", err)
		}

		rows, err := q.db.Query(ctx, listActivityGlobal, paramArgs(params)...)
		if err != nil {
			return fmt.Errorf("export global activity: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var e ListActivityGlobalRow
			if err := rows.Scan(&e.ID, &e.CreatedAt, &e.ActorID, &e.ActorName, &e.Action,
				&e.TargetType, &e.TargetID, &e.Summary, &e.Matched, &e.OrgID, &e.OrgName,
				&e.OrgSlug); err != nil {
				return fmt.Errorf("export global activity: read row: %w", err)
			}
			if err := each(e); err != nil {
				return err
			}
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("export global activity: %w", err)
		}
		return nil
	})
}

// params returns ListActivityGlobal's arguments: those of the workspace's page, with
// the organization optional.
func (q GlobalActivityQuery) params() ListActivityGlobalParams {
	p := q.ActivityQuery.params(OrgID{})
	g := ListActivityGlobalParams{Search: p.Search, ActorID: p.ActorID, Action: p.Action,
		TargetType: p.TargetType, Since: p.Since, Until: p.Until, BeforeAt: p.BeforeAt,
		BeforeID: p.BeforeID, ScanRows: p.ScanRows, MaxRows: p.MaxRows}
	if q.Org != nil {
		id := uuid.UUID(*q.Org)
		g.OrgID = &id
	}
	return g
}

func (e ListActivityGlobalRow) cursor() ActivityCursor {
	return ActivityCursor{e.CreatedAt, e.ID}
}
func (e ListActivityGlobalRow) matched() bool { return e.Matched }

// ExplainGlobalActivity runs the query of one page of the log across organizations as
// LoadGlobalActivity does, under EXPLAIN ANALYZE, and returns PostgreSQL's plan.
func (s *Store) ExplainGlobalActivity(ctx context.Context, q GlobalActivityQuery) (
	string, error) {
	return s.explainStaff(ctx, listActivityGlobal, paramArgs(q.params())...)
}

// ExplainOrganizationSummaries is OrganizationSummaries under EXPLAIN ANALYZE.
func (s *Store) ExplainOrganizationSummaries(ctx context.Context, search string,
	rows int32) (string, error) {
	return s.explainStaff(ctx, listOrganizationSummariesGlobal, "", search, rows)
}

func (s *Store) explainStaff(ctx context.Context, sql string, args ...any) (string, error) {
	var plan string
	err := s.Staff(ctx, func(tx *Queries) error {
		var err error
		plan, err = tx.explainPage(ctx, sql, args...)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("explain: %w", err)
	}
	return plan, nil
}
