package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/jusb/portal/components"
	"github.com/jusb/portal/db"
)

// globalActivityInput is the staff's filter of the log across organizations: the
// workspace log's filter and the organization (org, its ID).
type globalActivityInput struct {
	activityInput
	Org string
}

func readGlobalActivityInput(v url.Values) globalActivityInput {
	return globalActivityInput{activityInput: readActivityInput(v),
		Org: strings.TrimSpace(v.Get("org"))}
}

// query returns the filter's non-empty fields as URL parameters, without the cursor.
func (in globalActivityInput) query() url.Values {
	v := in.activityInput.query()
	if in.Org != "" {
		v.Set("org", in.Org)
	}
	return v
}

// globalActivityRequest is the parsed filter; org is nil for every organization.
type globalActivityRequest struct {
	activityRequest
	org *db.OrgID
}

// parseGlobalActivityInput checks the filter as the workspace's log does, and the
// organization's form; checkOrg checks it exists once the organizations are read.
func parseGlobalActivityInput(in globalActivityInput) globalActivityRequest {
	req := globalActivityRequest{activityRequest: parseActivityInput(in.activityInput)}
	if in.Org != "" {
		id, err := db.ParseOrgID(in.Org)
		if err != nil {
			req.errors["org"] = "Choose an organization from the list."
		} else {
			req.org = &id
		}
	}
	return req
}

// checkOrg refuses an organization that does not exist, and checks the actor against
// the people the filter offers (staff, and the chosen organization's members).
func (req *globalActivityRequest) check(log db.GlobalActivityLog) {
	if req.org != nil && !hasOrg(log.Orgs, *req.org) {
		req.errors["org"] = "Choose an organization from the list."
	}
	actors := make([]db.ListActivityActorsRow, 0, len(log.Actors))
	for _, a := range log.Actors {
		actors = append(actors, db.ListActivityActorsRow(a))
	}
	req.checkActor(actors)
}

func hasOrg(orgs []db.ListOrganizationChoicesGlobalRow, id db.OrgID) bool {
	for _, o := range orgs {
		if o.ID == id {
			return true
		}
	}
	return false
}

// globalActivity is the activity log across organizations, for staff: the workspace
// log's page with an organization filter and column, read on the staff path. Like the
// workspace's, an HTMX request gets the results alone, and a bad filter answers 422.
func (s *Server) globalActivity(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	fragment := isFragmentRequest(r)

	in := readGlobalActivityInput(r.URL.Query())
	req := parseGlobalActivityInput(in)

	q := db.GlobalActivityQuery{Org: req.org, ActivityQuery: db.ActivityQuery{
		Filter: req.filter, Before: req.before, Rows: activityPageRows,
		WithChoices: !fragment}}
	if len(req.errors) > 0 {
		q.Rows = 0
	}
	log, err := s.store.LoadGlobalActivity(ctx, q)
	if err != nil {
		return fmt.Errorf("load global activity: %w", err)
	}
	req.check(log)

	view := globalActivityView(in, req, log)
	status := http.StatusOK
	if len(req.errors) > 0 {
		status = http.StatusUnprocessableEntity
		view.Entries, view.OlderURL = nil, ""
	}
	if fragment {
		push := view.PageURL
		if status != http.StatusOK {
			push = "false"
		}
		w.Header().Set("HX-Push-Url", push)
	}
	page := s.pageFor(r, "Activity across organizations")
	s.render(w, r, status, components.GlobalActivityPage(page, view),
		components.ActivityFragment(view))
	return nil
}

// globalActivityView builds the page's view model.
func globalActivityView(in globalActivityInput, req globalActivityRequest,
	log db.GlobalActivityLog) components.ActivityView {
	const base = "/admin/activity"
	v := activityPage(base, in.query, in.activityInput, req.activityRequest, log.Older,
		log.Stopped)
	v.ExportURL = withQuery(base+".csv", in.query())
	v.Form.Org = in.Org
	if req.org != nil {
		v.Form.Org = req.org.String()
	}

	v.Orgs = make([]components.ActivityOrg, 0, len(log.Orgs))
	for _, o := range log.Orgs {
		v.Orgs = append(v.Orgs, components.ActivityOrg{ID: o.ID.String(), Name: o.Name,
			Archived: o.ArchivedAt != nil})
	}
	for _, a := range log.Actors {
		v.Actors = append(v.Actors, components.ActivityActor{ID: a.ID.String(),
			Name: a.Name, Staff: a.IsStaff, Active: a.IsActive})
	}
	v.Actions, v.TargetTypes = log.Actions, log.TargetTypes
	for _, e := range log.Entries {
		v.Entries = append(v.Entries, components.ActivityRow{Actor: e.ActorName,
			Action: e.Action, TargetType: e.TargetType, Summary: e.Summary,
			At: e.CreatedAt, OrgName: e.OrgName, OrgSlug: e.OrgSlug})
	}
	return v
}

// exportGlobalActivity sends every entry across organizations that passes the URL's
// filter as CSV, newest first, with an organization column: exactly the rows of the
// page's filter, on all its pages, streamed like the workspace's export.
func (s *Server) exportGlobalActivity(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	v, _ := ViewerFrom(ctx)

	in := readGlobalActivityInput(r.URL.Query())
	in.Before = ""
	req := parseGlobalActivityInput(in)
	name, err := s.checkGlobalExport(ctx, &req)
	if err != nil {
		return err
	}
	if len(req.errors) > 0 {
		return &httpError{status: http.StatusUnprocessableEntity,
			message: "The filter of this export is not valid. Go back to the activity " +
				"log, correct the filter and export again."}
	}

	out := newActivityCSV(w, name)
	out.withOrg = true
	err = s.store.ExportActivityGlobal(ctx, req.org, req.filter, out.writeGlobal)
	return s.endExport(r, out, err, slog.String("user_id", v.ID.String()),
		slog.String("filter_org_id", in.Org))
}

// checkGlobalExport checks the organization and actor of an export as the page does,
// and returns the name its file carries: the organization's slug, or "all".
func (s *Server) checkGlobalExport(ctx context.Context, req *globalActivityRequest) (
	string, error) {
	if len(req.errors) > 0 || (req.org == nil && req.filter.ActorID == nil) {
		return "all", nil
	}
	log, err := s.store.LoadGlobalActivity(ctx, db.GlobalActivityQuery{Org: req.org})
	if err != nil {
		return "", fmt.Errorf("load choices for export: %w", err)
	}
	req.check(log)
	for _, o := range log.Orgs {
		if req.org != nil && o.ID == *req.org {
			return o.Slug, nil
		}
	}
	return "all", nil
}
