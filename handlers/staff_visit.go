package handlers

import (
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/google/uuid"

	"github.com/jusb/portal/db"
)

// sessionStaffVisits is the session key of the organizations whose workspace the staff
// member has opened in this session: their IDs, separated by spaces (a plain string,
// which the session's encoding takes as it is).
const sessionStaffVisits = "staff_visits"

// errArchivedReadOnly refuses a change in an archived organization's workspace.
var errArchivedReadOnly = &httpError{status: http.StatusForbidden,
	message: "This organization is archived: its workspace can be read but not changed"}

// staffVisit runs when JusB staff open another organization's workspace. The first
// time in a session for each organization, it writes "staff.visited" to that
// organization's activity log (in the organization's own transaction, not on the staff
// path) and the structured log; later requests of the same session write nothing. An
// archived organization's workspace opens to read only.
func (s *Server) staffVisit(r *http.Request, v Viewer, ws Workspace) error {
	ctx := r.Context()
	if ws.Archived && r.Method != http.MethodGet && r.Method != http.MethodHead {
		return errArchivedReadOnly
	}

	visited := strings.Fields(s.sessions.GetString(ctx, sessionStaffVisits))
	if slices.Contains(visited, ws.OrgID.String()) {
		return nil
	}
	orgID := uuid.UUID(ws.OrgID)
	err := s.store.InOrg(ctx, ws.OrgID, func(q *db.Queries) error {
		return recordActivity(ctx, q, ws.OrgID, v.ID, change{Action: "staff.visited",
			TargetType: "organization", TargetID: &orgID, Summary: ws.Name})
	})
	if err != nil {
		return fmt.Errorf("record staff visit to %s: %w", ws.Slug, err)
	}
	visited = append(visited, ws.OrgID.String())
	s.sessions.Put(ctx, sessionStaffVisits, strings.Join(visited, " "))

	s.log.Info("staff visited organization",
		slog.String("request_id", middleware.GetReqID(ctx)),
		slog.String("user_id", v.ID.String()), slog.String("org_id", ws.OrgID.String()),
		slog.String("path", r.URL.Path))
	return nil
}
