package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/jusb/portal/components"
	"github.com/jusb/portal/db"
)

// activityRoutes declares the routes of the activity log.
func (s *Server) activityRoutes() []Route {
	return []Route{
		rt("GET", "/o/{slug}/activity", Member, s.activityLog),
		rt("GET", "/o/{slug}/activity.csv", ClientAdmin, s.exportActivity),
	}
}

// activityPageRows is how many entries a page of the activity log shows.
const activityPageRows = 50

// Bounds of the free-text filter, in characters. A single character is not searched
// for: nearly every entry has a word that starts with it.
const (
	minSearchText = 2
	maxSearchText = 200
)

// activityLog shows the organization's activity log, filtered by the URL's query, a
// page at a time, newest first. An HTMX request (a keystroke in the filter, a click
// on "Older") gets the results alone, with the field errors swapped in beside the
// form; a bad filter answers 422 with what is wrong and shows no entries.
func (s *Server) activityLog(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	ws, _ := WorkspaceFrom(ctx)
	fragment := isFragmentRequest(r)

	in := readActivityInput(r.URL.Query())
	req := parseActivityInput(in)

	q := db.ActivityQuery{Filter: req.filter, Before: req.before, Rows: activityPageRows,
		WithChoices: !fragment}
	if len(req.errors) > 0 {
		q.Rows = 0 // what the form offers, but no entries for a filter that is wrong
	}
	log, err := s.store.LoadActivityLog(ctx, ws.OrgID, q)
	if err != nil {
		return fmt.Errorf("load activity log of %s: %w", ws.Slug, err)
	}
	req.checkActor(log.Actors)

	view := s.activityView(r, ws.Slug, in, req, log)
	status := http.StatusOK
	if len(req.errors) > 0 {
		status = http.StatusUnprocessableEntity
	}
	if fragment {
		// The address bar shows the filter without its empty fields, so that a link
		// copied from it is short; a refused filter leaves the address as it was.
		push := view.PageURL
		if status != http.StatusOK {
			push = "false"
		}
		w.Header().Set("HX-Push-Url", push)
	}
	shell := s.shellFor(r, "Activity", components.SectionActivity)
	s.render(w, r, status, components.ActivityPage(shell, view),
		components.ActivityFragment(view))
	return nil
}

// activityInput is the filter as the URL gives it, kept to fill the form again.
type activityInput struct {
	Actor, Action, Target, From, To, Text, Before string
}

func readActivityInput(v url.Values) activityInput {
	return activityInput{
		Actor:  strings.TrimSpace(v.Get("actor")),
		Action: strings.TrimSpace(v.Get("action")),
		Target: strings.TrimSpace(v.Get("target")),
		From:   strings.TrimSpace(v.Get("from")),
		To:     strings.TrimSpace(v.Get("to")),
		Text:   strings.TrimSpace(v.Get("q")),
		Before: strings.TrimSpace(v.Get("before")),
	}
}

// query returns the filter's non-empty fields as URL parameters, without the cursor.
func (in activityInput) query() url.Values {
	v := url.Values{}
	for _, p := range [][2]string{{"q", in.Text}, {"actor", in.Actor},
		{"action", in.Action}, {"target", in.Target}, {"from", in.From}, {"to", in.To}} {
		if p[1] != "" {
			v.Set(p[0], p[1])
		}
	}
	return v
}

// activityRequest is the parsed filter and cursor, and what is wrong with them, by
// form field.
type activityRequest struct {
	filter db.ActivityFilter
	before *db.ActivityCursor
	errors map[string]string
	// notice explains a part of the filter that was left out rather than refused.
	notice string
}

// actionPattern and targetPattern are the forms the activity table allows.
var (
	actionPattern = regexp.MustCompile(`^[a-z_]+\.[a-z_]+$`)
	targetPattern = regexp.MustCompile(`^[a-z_]+$`)
)

// dateLayout is how date inputs send a date.
const dateLayout = "2006-01-02"

// parseActivityInput checks the filter's form. What it cannot check alone (that the
// actor is someone of this organization) checkActor does once the actors are read.
// An action or type of the right form that never occurs simply matches nothing: the
// areas of the portal add actions as they grow.
func parseActivityInput(in activityInput) activityRequest {
	req := activityRequest{errors: map[string]string{}}
	f := &req.filter

	if in.Actor != "" {
		id, err := uuid.Parse(in.Actor)
		if err != nil {
			req.errors["actor"] = "Choose a person from the list."
		} else {
			f.ActorID = &id
		}
	}
	if in.Action != "" {
		if !actionPattern.MatchString(in.Action) || len(in.Action) > 100 {
			req.errors["action"] = "Choose an action from the list."
		} else {
			f.Action = in.Action
		}
	}
	if in.Target != "" {
		if !targetPattern.MatchString(in.Target) || len(in.Target) > 100 {
			req.errors["target"] = "Choose a type from the list."
		} else {
			f.TargetType = in.Target
		}
	}

	from, fromOK := parseDate(in.From, "from", req.errors)
	to, toOK := parseDate(in.To, "to", req.errors)
	if fromOK && toOK && from != nil && to != nil && to.Before(*from) {
		req.errors["to"] = "The end date is before the start date."
	}
	if fromOK && from != nil {
		f.Since = from
	}
	if toOK && to != nil {
		until := to.AddDate(0, 0, 1) // the whole of the last day
		f.Until = &until
	}

	req.parseText(in.Text)

	if in.Before != "" {
		c, err := parseActivityCursor(in.Before)
		if err != nil {
			req.errors["before"] = "This link to older entries is not valid. " +
				"Start again from the newest entries."
		} else {
			req.before = &c
		}
	}
	return req
}

// parseDate parses a date field; ok is false when it was given and is not a date.
func parseDate(s, field string, errs map[string]string) (*time.Time, bool) {
	if s == "" {
		return nil, true
	}
	d, err := time.ParseInLocation(dateLayout, s, time.UTC)
	if err != nil {
		errs[field] = "Enter a date as year-month-day, such as 2026-12-03."
		return nil, false
	}
	return &d, true
}

// parseText checks the free text: printable, not too long, and with something to
// search for.
func (req *activityRequest) parseText(text string) {
	switch n := utf8.RuneCountInString(text); {
	case text == "":
	case !utf8.ValidString(text) || strings.ContainsFunc(text, unicode.IsControl):
		req.errors["q"] = "The search text has characters that cannot be searched for."
	case n > maxSearchText:
		req.errors["q"] = fmt.Sprintf("Search for at most %d characters.", maxSearchText)
	case n < minSearchText:
		req.notice = fmt.Sprintf("Type at least %d characters to search; until then "+
			"the search box filters nothing.", minSearchText)
	case !strings.ContainsFunc(text, isWordRune):
		req.notice = "The search looks for words: type letters or digits."
	default:
		req.filter.Text = text
	}
}

// isWordRune reports whether r belongs to a word, as the database splits them.
func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// checkActor refuses an actor who is not among the organization's people. Someone of
// another organization and an ID that exists nowhere get the same answer.
func (req *activityRequest) checkActor(actors []db.ListActivityActorsRow) {
	id := req.filter.ActorID
	if id == nil {
		return
	}
	for _, a := range actors {
		if a.ID == *id {
			return
		}
	}
	req.errors["actor"] = "Choose a person from the list."
}

// The cursor is "<created_at in Unix microseconds>_<id>" of the last entry shown:
// PostgreSQL keeps microseconds, so the value round-trips exactly.
func activityCursor(c db.ActivityCursor) string {
	return strconv.FormatInt(c.At.UnixMicro(), 10) + "_" + strconv.FormatInt(c.ID, 10)
}

var errBadCursor = errors.New("malformed activity cursor")

func parseActivityCursor(s string) (db.ActivityCursor, error) {
	at, id, ok := strings.Cut(s, "_")
	if !ok {
		return db.ActivityCursor{}, errBadCursor
	}
	micros, err := strconv.ParseInt(at, 10, 64)
	if err != nil {
		return db.ActivityCursor{}, fmt.Errorf("%w: %w", errBadCursor, err)
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return db.ActivityCursor{}, errBadCursor
	}
	// PostgreSQL's timestamps end in the year 294276; stay well inside.
	const maxMicros = 200_000 * 365 * 24 * 3600 * 1_000_000
	if micros < -maxMicros || micros > maxMicros {
		return db.ActivityCursor{}, errBadCursor
	}
	return db.ActivityCursor{At: time.UnixMicro(micros).UTC(), ID: n}, nil
}

// activityView builds the page's view model.
func (s *Server) activityView(r *http.Request, slug string, in activityInput,
	req activityRequest, log db.ActivityLog) components.ActivityView {
	base := "/o/" + slug + "/activity"
	v := activityPage(base, in.query, in, req, log.Older, log.Stopped)
	if viewer, ok := ViewerFrom(r.Context()); ok &&
		(viewer.Role == RoleClientAdmin || viewer.IsStaff()) {
		v.ExportURL = withQuery(base+".csv", in.query())
	}

	for _, a := range log.Actors {
		v.Actors = append(v.Actors, components.ActivityActor{ID: a.ID.String(),
			Name: a.Name, Staff: a.IsStaff, Active: a.IsActive})
	}
	v.Actions, v.TargetTypes = log.Actions, log.TargetTypes
	for _, e := range log.Entries {
		v.Entries = append(v.Entries, components.ActivityRow{Actor: e.ActorName,
			Action: e.Action, TargetType: e.TargetType, Summary: e.Summary,
			At: e.CreatedAt})
	}
	return v
}

// activityPage builds what the workspace's log and the staff's log across
// organizations share: the form as given, its errors and notices, and the links to the
// other pages, which keep the filter (query gives it, without the cursor).
func activityPage(base string, query func() url.Values, in activityInput,
	req activityRequest, older *db.ActivityCursor, stopped bool) components.ActivityView {
	filter := query()
	v := components.ActivityView{
		BasePath: base,
		PageURL:  withQuery(base, filter),
		Form: components.ActivityForm{Actor: in.Actor, Action: in.Action,
			Target: in.Target, From: in.From, To: in.To, Text: in.Text},
		Errors:   req.errors,
		Notice:   req.notice,
		Filtered: len(filter) > 0,
	}
	if req.filter.ActorID != nil {
		v.Form.Actor = req.filter.ActorID.String() // as the select's options spell it
	}

	if req.before != nil {
		v.NewestURL = v.PageURL
		page := query()
		page.Set("before", in.Before)
		v.PageURL = withQuery(base, page)
	}
	if older != nil {
		next := query()
		next.Set("before", activityCursor(*older))
		v.OlderURL = withQuery(base, next)
	}
	if stopped {
		v.Notice = fmt.Sprintf("To keep the page quick, the search looked through the "+
			"entries back to %s and stopped there. Older entries searches further back.",
			components.DateTime(older.At))
	}
	return v
}

// withQuery appends the encoded query to path, if there is one.
func withQuery(path string, q url.Values) string {
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}
