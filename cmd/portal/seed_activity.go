package main

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/jusb/portal/db"
)

func init() {
	demoContent = append(demoContent, demoSeeder{name: "activity", fn: seedActivity})
}

// demoSignInDays is how far back the demo sign-ins go.
const demoSignInDays = 21

// seedActivity gives each demo client organization a few weeks of sign-ins and
// sign-outs by its members, so that the activity log has a history to filter by
// person, action and date. The other areas' seeders write the entries of their own
// content. It adds nothing to an organization that has sign-in entries already.
func seedActivity(ctx context.Context, q *db.Queries, w demoWorld) error {
	actions := []string{"user.signed_in", "user.signed_out"}
	now := time.Now().UTC()
	for _, o := range demoData {
		if o.staff {
			continue
		}
		org := w.orgs[o.slug].ID
		n, err := q.CountActivityByActions(ctx, db.CountActivityByActionsParams{OrgID: org,
			Actions: actions})
		if err != nil {
			return fmt.Errorf("count sign-ins of %s: %w", o.slug, err)
		}
		if n > 0 {
			continue
		}
		for i, u := range o.users {
			if err := seedSignIns(ctx, q, org, w.users[u.email], u.name, i, now); err != nil {
				return fmt.Errorf("sign-ins of %s: %w", u.email, err)
			}
		}
	}
	return nil
}

// demoSession is one sign-in entry, or a sign-out.
type demoSession struct {
	action string
	at     time.Time
}

// seedSignIns writes a member's working days: most weekdays a sign-in in the morning,
// on some of them a sign-out in the afternoon. nth varies the pattern per member.
func seedSignIns(ctx context.Context, q *db.Queries, org db.OrgID, user uuid.UUID,
	name string, nth int, now time.Time) error {
	for day := demoSignInDays; day >= 1; day-- {
		date := now.AddDate(0, 0, -day).Truncate(24 * time.Hour)
		if wd := date.Weekday(); wd == time.Saturday || wd == time.Sunday ||
			(day+nth)%4 == 0 {
			continue
		}
		in := date.Add(time.Duration(8*60+(day*37+nth*23)%90) * time.Minute)
		sessions := []demoSession{{"user.signed_in", in}}
		if (day+nth)%3 == 0 {
			out := in.Add(time.Duration(7*60+day%50) * time.Minute)
			sessions = append(sessions, demoSession{"user.signed_out", out})
		}
		for _, e := range sessions {
			err := q.CreateActivityAt(ctx, db.CreateActivityAtParams{OrgID: org,
				ActorID: &user, Action: e.action, TargetType: "user", TargetID: &user,
				Summary: name, CreatedAt: e.at})
			if err != nil {
				return err
			}
		}
	}
	return nil
}
