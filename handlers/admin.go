package handlers

import (
	"fmt"
	"net/http"

	"github.com/jusb/portal/components"
	"github.com/jusb/portal/db"
)

// adminHome lists every organization for JusB staff, with links into their
// workspaces. It uses the staff path, the only one that crosses organizations.
func (s *Server) adminHome(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()

	var rows []db.ListOrganizationsGlobalRow
	err := s.store.Staff(ctx, func(q *db.Queries) (err error) {
		rows, err = q.ListOrganizationsGlobal(ctx)
		return err
	})
	if err != nil {
		return fmt.Errorf("list organizations: %w", err)
	}

	orgs := make([]components.OrgRow, 0, len(rows))
	for _, o := range rows {
		orgs = append(orgs, components.OrgRow{Name: o.Name, Slug: o.Slug, IsStaff: o.IsStaff,
			Archived: o.ArchivedAt != nil, ActiveMembers: o.ActiveMembers,
			CreatedAt: o.CreatedAt})
	}
	s.render(w, r, http.StatusOK,
		components.AdminPage(s.pageFor(r, "Organizations"), orgs), nil)
	return nil
}
