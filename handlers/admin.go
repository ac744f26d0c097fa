package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/google/uuid"

	"github.com/jusb/portal/components"
	"github.com/jusb/portal/db"
)

// adminRoutes are the staff view's routes. Every one of them uses the staff path
// (db.Store.Staff and ReadStaff), the only one that crosses organizations; no other
// route does.
func (s *Server) adminRoutes() []Route {
	return []Route{
		rt("GET", "/admin", Staff, s.adminHome),
		rt("POST", "/admin/organizations", Staff, s.createOrganization),
		rt("GET", "/admin/organizations/{slug}", Staff, s.organizationPage),
		rt("POST", "/admin/organizations/{slug}/rename", Staff, s.renameOrganization),
		rt("POST", "/admin/organizations/{slug}/archive", Staff, s.archiveOrganization),
		rt("POST", "/admin/organizations/{slug}/restore", Staff, s.restoreOrganization),
		rt("GET", "/admin/activity", Staff, s.globalActivity),
		rt("GET", "/admin/activity.csv", Staff, s.exportGlobalActivity),
	}
}

// orgTableRows is how many organizations the staff table shows at most.
const orgTableRows = 100

// adminHome is the staff's table of organizations, filtered by name or slug as they
// type (q, kept in the URL), with each one's counts. An HTMX request (a keystroke)
// gets the table alone.
func (s *Server) adminHome(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	search := strings.TrimSpace(r.URL.Query().Get("q"))

	view := components.AdminView{Search: search, Limit: orgTableRows,
		SearchError: checkOrgSearch(search)}
	status := http.StatusOK
	if view.SearchError != "" {
		status = http.StatusUnprocessableEntity
	} else if err := s.loadOrgTable(ctx, &view); err != nil {
		return err
	}

	if isFragmentRequest(r) {
		push := withQuery("/admin", orgSearchQuery(search))
		if status != http.StatusOK {
			push = "false"
		}
		w.Header().Set("HX-Push-Url", push)
	}
	s.render(w, r, status, components.AdminPage(s.pageFor(r, "Organizations"), view),
		components.OrgFragment(view))
	return nil
}

// loadOrgTable reads the organizations that match view.Search, with their counts.
func (s *Server) loadOrgTable(ctx context.Context, view *components.AdminView) error {
	rows, err := s.store.OrganizationSummaries(ctx, view.Search, orgTableRows+1)
	if err != nil {
		return err
	}
	if len(rows) > orgTableRows {
		rows, view.More = rows[:orgTableRows], true
	}
	for _, o := range rows {
		view.Orgs = append(view.Orgs, orgRow(o))
	}
	return nil
}

func orgRow(o db.ListOrganizationSummariesGlobalRow) components.OrgRow {
	var last *time.Time
	if t, ok := o.LastActivityAt.(time.Time); ok {
		last = &t
	}
	return components.OrgRow{ID: o.ID.String(), Name: o.Name, Slug: o.Slug,
		IsStaff: o.IsStaff, Archived: o.ArchivedAt != nil, Members: o.Members,
		Threads: o.Threads, Files: o.Files, FileBytes: o.FileBytes, OpenTasks: o.OpenTasks,
		LastActivity: last, CreatedAt: o.CreatedAt}
}

// checkOrgSearch says what is wrong with the organization filter, or "".
func checkOrgSearch(q string) string {
	switch {
	case !utf8.ValidString(q) || strings.ContainsFunc(q, unicode.IsControl):
		return "The filter has characters that cannot be searched for."
	case utf8.RuneCountInString(q) > 100:
		return "Filter by at most 100 characters."
	}
	return ""
}

func orgSearchQuery(q string) url.Values {
	if q == "" {
		return nil
	}
	return url.Values{"q": {q}}
}

// slugPattern is the form organization.slug allows.
var slugPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$`)

// createOrganization adds an organization and invites its first client_admin, in one
// transaction: if the invitation cannot be made, no organization is left behind.
func (s *Server) createOrganization(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	v, _ := ViewerFrom(ctx)
	form := components.OrgCreateForm{
		Name:  strings.TrimSpace(r.PostFormValue("name")),
		Slug:  strings.ToLower(strings.TrimSpace(r.PostFormValue("slug"))),
		Email: strings.ToLower(strings.TrimSpace(r.PostFormValue("email"))),
	}

	errs := checkOrgForm(form)
	var org db.Organization
	if len(errs) == 0 {
		err := s.store.Staff(ctx, func(q *db.Queries) error {
			var err error
			org, err = s.addOrganization(ctx, q, v, form, errs)
			return err
		})
		if err != nil && !errors.Is(err, errFormInvalid) {
			return fmt.Errorf("create organization %s: %w", form.Slug, err)
		}
	}
	if len(errs) > 0 {
		return s.orgFormInvalid(w, r, form, errs)
	}

	s.logStaffChange(r, "organization created", org.ID,
		slog.String("invited_email", form.Email))
	http.Redirect(w, r, "/admin/organizations/"+org.Slug+"?created=1", http.StatusSeeOther)
	return nil
}

// addOrganization creates the organization, records it, and invites its first
// administrator, inside q's staff transaction. A reason that is the user's to fix lands
// in errs, with errFormInvalid.
func (s *Server) addOrganization(ctx context.Context, q *db.Queries, v Viewer,
	form components.OrgCreateForm, errs map[string]string) (db.Organization, error) {
	inUse, err := q.EmailInUseGlobal(ctx, db.EmailInUseGlobalParams{Email: form.Email})
	if err != nil {
		return db.Organization{}, fmt.Errorf("check address: %w", err)
	}
	if inUse {
		errs["email"] = "Someone already has an account with this address; " +
			"a person belongs to one organization only."
		return db.Organization{}, errFormInvalid
	}

	org, err := q.CreateOrganizationGlobal(ctx, db.CreateOrganizationGlobalParams{
		Name: form.Name, Slug: form.Slug})
	if db.IsUniqueViolation(err) {
		errs["slug"] = "Another organization has this slug."
		return db.Organization{}, errFormInvalid
	}
	if err != nil {
		return db.Organization{}, fmt.Errorf("insert organization: %w", err)
	}

	orgID := uuid.UUID(org.ID)
	err = recordActivity(ctx, q, org.ID, v.ID, change{Action: "organization.created",
		TargetType: "organization", TargetID: &orgID, Summary: org.Name})
	if err != nil {
		return db.Organization{}, err
	}
	if _, err := s.createInvitation(ctx, q, org.ID, form.Email, RoleClientAdmin,
		v.ID); err != nil {
		return db.Organization{}, fmt.Errorf("invite first administrator: %w", err)
	}
	return org, nil
}

// checkOrgForm checks the new-organization form's fields on their own.
func checkOrgForm(f components.OrgCreateForm) map[string]string {
	errs := map[string]string{}
	if msg := checkOrgName(f.Name); msg != "" {
		errs["name"] = msg
	}
	if !slugPattern.MatchString(f.Slug) {
		errs["slug"] = "Use 1 to 40 lowercase letters, digits and hyphens, " +
			"starting and ending with a letter or digit."
	}
	if !validEmail(f.Email) {
		errs["email"] = "Enter an e-mail address, such as name@example.com."
	}
	return errs
}

// checkOrgName says what is wrong with an organization's name, or "".
func checkOrgName(name string) string {
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		return "Enter a name."
	case n > 200:
		return "Use at most 200 characters."
	case !utf8.ValidString(name) || strings.ContainsFunc(name, unicode.IsControl):
		return "The name has characters that cannot be shown."
	}
	return ""
}

// validEmail accepts a bare address (no display name) of at most 254 characters.
func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == "" && len(s) <= 254
}

// orgFormInvalid renders the organizations page again at 422, with the form as
// submitted and its errors beside the fields.
func (s *Server) orgFormInvalid(w http.ResponseWriter, r *http.Request,
	form components.OrgCreateForm, errs map[string]string) error {
	view := components.AdminView{Limit: orgTableRows, Create: form, CreateErrors: errs}
	if err := s.loadOrgTable(r.Context(), &view); err != nil {
		return err
	}
	s.renderStatus(w, r, http.StatusUnprocessableEntity,
		components.AdminPage(s.pageFor(r, "Organizations"), view))
	return nil
}

// logStaffChange writes a staff change of an organization to the structured log.
func (s *Server) logStaffChange(r *http.Request, msg string, org db.OrgID, attrs ...any) {
	v, _ := ViewerFrom(r.Context())
	s.log.Info(msg, append([]any{
		slog.String("request_id", middleware.GetReqID(r.Context())),
		slog.String("user_id", v.ID.String()),
		slog.String("org_id", org.String()),
	}, attrs...)...)
}
