package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/jusb/portal/components"
	"github.com/jusb/portal/db"
)

// organizationPage shows one organization to staff, with the forms that rename,
// archive and restore it. ?created=1 and the like confirm the change just made.
func (s *Server) organizationPage(w http.ResponseWriter, r *http.Request) error {
	view, err := s.orgView(r.Context(), chi.URLParam(r, "slug"))
	if err != nil {
		return err
	}
	view.Notice = orgNotices[r.URL.Query().Get("done")]
	if r.URL.Query().Get("created") != "" {
		view.Notice = "The organization was created, and its first administrator " +
			"was sent an invitation."
	}
	s.renderStatus(w, r, http.StatusOK, components.OrgPage(s.pageFor(r, view.Org.Name), view))
	return nil
}

// orgNotices confirm a change on the organization's page after the redirect.
var orgNotices = map[string]string{
	"renamed":  "The organization was renamed.",
	"archived": "The organization was archived; its members are signed out.",
	"restored": "The organization was restored; its members can sign in again.",
}

// orgView loads the organization of a slug with its counts; a missing one is 404.
func (s *Server) orgView(ctx context.Context, slug string) (components.OrgView, error) {
	o, err := s.store.OrganizationSummary(ctx, slug)
	if errors.Is(err, db.ErrNotFound) {
		return components.OrgView{}, errNotFound
	}
	if err != nil {
		return components.OrgView{}, err
	}
	return components.OrgView{Org: orgRow(o), Rename: o.Name}, nil
}

// renameOrganization changes an organization's name; its slug, and so its address,
// stay as they were.
func (s *Server) renameOrganization(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	v, _ := ViewerFrom(ctx)
	slug := chi.URLParam(r, "slug")
	name := strings.TrimSpace(r.PostFormValue("name"))

	if msg := checkOrgName(name); msg != "" {
		view, err := s.orgView(ctx, slug)
		if err != nil {
			return err
		}
		view.Rename, view.Errors = name, map[string]string{"name": msg}
		s.renderStatus(w, r, http.StatusUnprocessableEntity,
			components.OrgPage(s.pageFor(r, view.Org.Name), view))
		return nil
	}

	var old, org db.Organization
	err := s.store.Staff(ctx, func(q *db.Queries) error {
		var err error
		if old, err = q.GetOrganizationBySlugGlobal(ctx,
			db.GetOrganizationBySlugGlobalParams{Slug: slug}); err != nil {
			return err
		}
		if org, err = q.RenameOrganizationGlobal(ctx, db.RenameOrganizationGlobalParams{
			Name: name, ID: old.ID}); err != nil {
			return fmt.Errorf("rename: %w", err)
		}
		return recordOrgChange(ctx, q, org, v, "organization.renamed",
			old.Name+" → "+org.Name)
	})
	if err != nil {
		return fmt.Errorf("rename organization %s: %w", slug, err)
	}

	s.logStaffChange(r, "organization renamed", org.ID, slog.String("old_name", old.Name),
		slog.String("name", org.Name))
	http.Redirect(w, r, "/admin/organizations/"+slug+"?done=renamed", http.StatusSeeOther)
	return nil
}

// archiveOrganization archives a client organization: its members can no longer sign
// in, and their sessions end at their next request (their session version is raised
// too, so that no session comes back when the organization is restored). Nothing is
// deleted. Archiving one already archived changes nothing; the staff organization
// cannot be archived.
func (s *Server) archiveOrganization(w http.ResponseWriter, r *http.Request) error {
	return s.setArchived(w, r, true)
}

// restoreOrganization lets an archived organization's members sign in again.
func (s *Server) restoreOrganization(w http.ResponseWriter, r *http.Request) error {
	return s.setArchived(w, r, false)
}

func (s *Server) setArchived(w http.ResponseWriter, r *http.Request, archive bool) error {
	ctx := r.Context()
	v, _ := ViewerFrom(ctx)
	slug := chi.URLParam(r, "slug")
	action, done := "organization.restored", "restored"
	if archive {
		action, done = "organization.archived", "archived"
	}

	changed := false
	var org db.Organization
	err := s.store.Staff(ctx, func(q *db.Queries) error {
		var err error
		if org, err = q.GetOrganizationBySlugGlobal(ctx,
			db.GetOrganizationBySlugGlobalParams{Slug: slug}); err != nil {
			return err
		}
		if archive && org.IsStaff {
			return &httpError{status: http.StatusUnprocessableEntity,
				message: "The staff organization cannot be archived"}
		}
		org, changed, err = archiveOrRestore(ctx, q, org, archive)
		if err != nil || !changed {
			return err
		}
		return recordOrgChange(ctx, q, org, v, action, org.Name)
	})
	if err != nil {
		return fmt.Errorf("%s %s: %w", action, slug, err)
	}

	if changed {
		s.logStaffChange(r, strings.Replace(action, ".", " ", 1), org.ID)
	}
	http.Redirect(w, r, "/admin/organizations/"+slug+"?done="+done, http.StatusSeeOther)
	return nil
}

// archiveOrRestore sets the organization's archived state; changed is false when it
// already was so.
func archiveOrRestore(ctx context.Context, q *db.Queries, org db.Organization,
	archive bool) (db.Organization, bool, error) {
	var err error
	var got db.Organization
	if archive {
		got, err = q.ArchiveOrganizationGlobal(ctx, db.ArchiveOrganizationGlobalParams{ID: org.ID})
		if err == nil {
			err = q.EndOrganizationSessions(ctx, db.EndOrganizationSessionsParams{OrgID: org.ID})
		}
	} else {
		got, err = q.RestoreOrganizationGlobal(ctx, db.RestoreOrganizationGlobalParams{ID: org.ID})
	}
	if errors.Is(err, db.ErrNotFound) {
		return org, false, nil
	}
	if err != nil {
		return org, false, fmt.Errorf("update organization: %w", err)
	}
	return got, true, nil
}

// recordOrgChange writes a staff change to the organization's own activity log.
func recordOrgChange(ctx context.Context, q *db.Queries, org db.Organization, v Viewer,
	action, summary string) error {
	id := uuid.UUID(org.ID)
	return recordActivity(ctx, q, org.ID, v.ID, change{Action: action,
		TargetType: "organization", TargetID: &id, Summary: summary})
}
