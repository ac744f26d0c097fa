package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/jusb/portal/components"
	"github.com/jusb/portal/db"
)

// adminUserRoutes declares the staff's list of every user and its actions, which
// follow the same rules as the people page of a workspace (members.go).
func (s *Server) adminUserRoutes() []Route {
	return []Route{
		rt("GET", "/admin/users", Staff, s.adminUsers),
		rt("POST", "/admin/users/{userID}/role", Staff, s.changeUser("role")),
		rt("POST", "/admin/users/{userID}/deactivate", Staff, s.changeUser("deactivate")),
		rt("POST", "/admin/users/{userID}/reactivate", Staff, s.changeUser("reactivate")),
	}
}

// adminUsersPageRows is how many users a page of the staff's list shows.
const adminUsersPageRows = 50

// adminUsers lists the users of every organization, filtered by the URL's query, a
// page at a time by e-mail address. An HTMX request (a keystroke in the search, a
// page link) gets the results alone; a bad filter answers 422 and shows no users.
func (s *Server) adminUsers(w http.ResponseWriter, r *http.Request) error {
	return s.renderAdminUsers(w, r, nil)
}

// renderAdminUsers renders the list for the URL's filter, with the problems of a
// refused action beside their rows, by user ID.
func (s *Server) renderAdminUsers(w http.ResponseWriter, r *http.Request,
	problems map[uuid.UUID]string) error {
	ctx := r.Context()
	fragment := isFragmentRequest(r) && problems == nil
	in := readUsersFilter(r.URL.Query())
	params, errs := in.parse()

	loaded, err := s.store.LoadUsersGlobal(ctx, params, len(errs) == 0, !fragment)
	if err != nil {
		return fmt.Errorf("list users: %w", err)
	}

	view := s.adminUsersView(in, errs, loaded.Users, loaded.Orgs)
	for i, u := range view.Users {
		if id, err := uuid.Parse(u.ID); err == nil {
			view.Users[i].Problem = problems[id]
		}
	}
	status := http.StatusOK
	if len(errs) > 0 || problems != nil {
		status = http.StatusUnprocessableEntity
	}
	if fragment {
		push := view.PageURL
		if status != http.StatusOK {
			push = "false"
		}
		w.Header().Set("HX-Push-Url", push)
	}
	s.render(w, r, status, components.AdminUsersPage(s.pageFor(r, "Users"), view),
		components.AdminUsersFragment(view))
	return nil
}

// usersFilter is the filter as the URL gives it, kept to fill the form again.
type usersFilter struct {
	Text, Org, Role, Status, After string
}

func readUsersFilter(v url.Values) usersFilter {
	return usersFilter{Text: strings.TrimSpace(v.Get("q")),
		Org:    strings.TrimSpace(v.Get("org")),
		Role:   strings.TrimSpace(v.Get("role")),
		Status: strings.TrimSpace(v.Get("status")),
		After:  strings.TrimSpace(v.Get("after"))}
}

// query returns the filter's non-empty fields as URL parameters, without the cursor.
func (f usersFilter) query() url.Values {
	v := url.Values{}
	for _, p := range [][2]string{{"q", f.Text}, {"org", f.Org}, {"role", f.Role},
		{"status", f.Status}} {
		if p[1] != "" {
			v.Set(p[0], p[1])
		}
	}
	return v
}

// parse checks the filter and turns it into the query's parameters; it fetches one
// row more than a page, to know whether there is a next page.
func (f usersFilter) parse() (db.ListUsersGlobalParams, map[string]string) {
	p := db.ListUsersGlobalParams{Org: f.Org, Role: f.Role, After: f.After,
		MaxRows: adminUsersPageRows + 1}
	errs := map[string]string{}
	switch {
	case !utf8.ValidString(f.Text) || strings.ContainsFunc(f.Text, unicode.IsControl):
		errs["q"] = "The search text has characters that cannot be searched for."
	case utf8.RuneCountInString(f.Text) > 100:
		errs["q"] = "Search for at most 100 characters."
	default:
		p.Search = likeEscaper.Replace(f.Text)
	}
	if f.Org != "" && !slugPattern.MatchString(f.Org) {
		errs["org"] = "Choose an organization from the list."
	}
	if f.Role != "" && !slices.Contains(components.AdminRoles, f.Role) {
		errs["role"] = "Choose a role from the list."
	}
	switch f.Status {
	case "":
	case "active", "deactivated":
		active := f.Status == "active"
		p.IsActive = &active
	default:
		errs["status"] = "Choose a status from the list."
	}
	if len(f.After) > 254 || strings.ContainsFunc(f.After, unicode.IsControl) {
		errs["after"] = "This link to the next page is not valid. Start again from the " +
			"first page."
	}
	return p, errs
}

// likeEscaper escapes ILIKE's wildcards, so that the search text matches as typed.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

func (s *Server) adminUsersView(f usersFilter, errs map[string]string,
	users []db.ListUsersGlobalRow, orgs []db.ListOrganizationsGlobalRow,
) components.AdminUsersView {
	const base = "/admin/users"
	v := components.AdminUsersView{BasePath: base, PageURL: withQuery(base, f.query()),
		Filter: components.AdminUsersFilter{Text: f.Text, Org: f.Org, Role: f.Role,
			Status: f.Status},
		Errors: errs, Filtered: len(f.query()) > 0}
	for _, o := range orgs {
		v.Orgs = append(v.Orgs, components.AdminOrgChoice{Slug: o.Slug, Name: o.Name})
	}
	more := len(users) > adminUsersPageRows
	if more {
		users = users[:adminUsersPageRows]
	}
	for _, u := range users {
		v.Users = append(v.Users, adminUserRow(u))
	}
	if f.After != "" {
		v.FirstURL = v.PageURL
		page := f.query()
		page.Set("after", f.After)
		v.PageURL = withQuery(base, page)
	}
	if more {
		next := f.query()
		next.Set("after", users[len(users)-1].Email)
		v.NextURL = withQuery(base, next)
	}
	return v
}

// adminUserRow is one user of the staff's list, with the actions for their
// organization.
func adminUserRow(u db.ListUsersGlobalRow) components.PersonRow {
	id := u.ID.String()
	return components.PersonRow{ID: id, Name: u.Name, Email: u.Email, Role: u.Role,
		Active: u.IsActive, LastSignIn: u.LastSignInAt, OrgName: u.OrgName,
		OrgSlug: u.OrgSlug, ShowOrg: true, ActionsPath: "/admin/users/" + id,
		Roles: memberOrg{ID: u.OrgID, IsStaff: u.OrgIsStaff}.roles()}
}

// changeUser returns the handler of one action on the staff's list: the user's
// organization is looked up on the staff path, then the change runs bound to that
// organization, by the rules of the people page.
func (s *Server) changeUser(action string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		ctx := r.Context()
		id, err := uuidParam(r, "userID")
		if err != nil {
			return err
		}
		var u db.GetUserGlobalRow
		err = s.store.Staff(ctx, func(q *db.Queries) (err error) {
			u, err = q.GetUserGlobal(ctx, db.GetUserGlobalParams{ID: id})
			return err
		})
		if err != nil {
			return fmt.Errorf("find user %s: %w", id, err)
		}
		if u.OrgArchivedAt != nil {
			return errArchivedReadOnly
		}

		org := memberOrg{ID: u.OrgID, IsStaff: u.OrgIsStaff}
		out, err := s.applyMemberChange(r, org, id, memberChangeFrom(r, action))
		var refused problem
		switch {
		case errors.As(err, &refused) && !isFragmentRequest(r):
			return s.renderAdminUsers(w, r, map[uuid.UUID]string{id: refused.Error()})
		case errors.As(err, &refused):
		case err != nil:
			return fmt.Errorf("%s user %s: %w", action, id, err)
		default:
			if !isFragmentRequest(r) {
				http.Redirect(w, r, "/admin/users", http.StatusSeeOther)
				return nil
			}
		}

		m := out.Member
		row := adminUserRow(db.ListUsersGlobalRow{ID: m.ID, OrgID: u.OrgID, Email: m.Email,
			Name: m.Name, Role: m.Role, IsActive: m.IsActive, LastSignInAt: m.LastSignInAt,
			OrgName: u.OrgName, OrgSlug: u.OrgSlug, OrgIsStaff: u.OrgIsStaff})
		status := http.StatusOK
		if refused != "" {
			row.Problem, status = refused.Error(), http.StatusUnprocessableEntity
		} else {
			row.Notice = memberNotice(out)
		}
		s.renderStatus(w, r, status, components.PersonItem(row))
		return nil
	}
}
