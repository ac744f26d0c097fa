package handlers

import (
	"context"
	"fmt"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/jusb/portal/db"
)

// change is one activity entry: what was done to what. Every change in every area
// writes one, in the same transaction as the change itself.
type change struct {
	Action     string // "<target>.<verb>", such as "task.created"
	TargetType string
	TargetID   *uuid.UUID
	// Summary is a short description people read and search, such as a task's title.
	Summary string
}

// maxSummary is activity.summary's limit, in characters.
const maxSummary = 500

// recordActivity writes c to org's activity log as done by actor, inside q's
// transaction.
func recordActivity(ctx context.Context, q *db.Queries, org db.OrgID, actor uuid.UUID,
	c change) error {
	if err := q.CreateActivity(ctx, activityParams(org, actor, c)); err != nil {
		return fmt.Errorf("record %s: %w", c.Action, err)
	}
	return nil
}

// queueActivity adds c to a WriteInOrg batch, as recordActivity does to a
// transaction.
func queueActivity(w *db.Writes, org db.OrgID, actor uuid.UUID, c change) {
	w.CreateActivity(activityParams(org, actor, c))
}

// activityParams is the row of c, its summary cut to maxSummary characters.
func activityParams(org db.OrgID, actor uuid.UUID, c change) db.CreateActivityParams {
	summary := c.Summary
	if utf8.RuneCountInString(summary) > maxSummary {
		summary = string([]rune(summary)[:maxSummary-1]) + "…"
	}
	return db.CreateActivityParams{OrgID: org, ActorID: &actor, Action: c.Action,
		TargetType: c.TargetType, TargetID: c.TargetID, Summary: summary}
}
