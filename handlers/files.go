package handlers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/go-chi/httprate"
	"github.com/google/uuid"

	"github.com/jusb/portal/components"
	"github.com/jusb/portal/db"
	"github.com/jusb/portal/handlers/storage"
)

// fileRoutes declares the routes of the files area.
func (s *Server) fileRoutes() []Route {
	return []Route{
		rt("GET", "/o/{slug}/files", Member, s.listFiles),
		rt("POST", "/o/{slug}/files", Member, s.uploadFile).
			withMaxBody(s.UploadBodyLimit()).withLimit(s.uploadLimitByUser()),
		rt("GET", "/o/{slug}/files/{file_id}", Member, s.downloadFile),
		rt("POST", "/o/{slug}/files/{file_id}/delete", Member, s.deleteFile),
	}
}

// FilesConfig holds the settings of the files area.
type FilesConfig struct {
	// Storage keeps the files' contents. When nil, New keeps them in a temporary
	// directory that Close removes, which suits tests; cmd/portal always sets one.
	Storage storage.Storage
	// MaxBytes is the largest file an upload may carry; 100 MiB by default.
	MaxBytes int64
	// AllowedTypes are the media types an upload may have, decided from its content
	// (its magic bytes), never from its name or the browser's word; DefaultFileTypes
	// by default.
	AllowedTypes []string
	// PerUser limits uploads per user; 30 a minute by default.
	PerUser Rate
	// OrgQuotaBytes and OrgQuotaFiles bound what an organization's live files may
	// take together: 10 GiB and 10,000 files by default. An upload past either is
	// refused with 413 and leaves nothing stored.
	OrgQuotaBytes int64
	OrgQuotaFiles int32
}

func (c *FilesConfig) setDefaults() {
	if c.MaxBytes == 0 {
		c.MaxBytes = 100 << 20
	}
	if len(c.AllowedTypes) == 0 {
		c.AllowedTypes = DefaultFileTypes
	}
	if c.PerUser.Count == 0 {
		c.PerUser = Rate{Count: 30, Window: time.Minute}
	}
	if c.OrgQuotaBytes == 0 {
		c.OrgQuotaBytes = 10 << 30
	}
	if c.OrgQuotaFiles == 0 {
		c.OrgQuotaFiles = 10_000
	}
}

// uploadOverhead is what a multipart body may carry besides the file: boundaries,
// part headers and the CSRF field.
const uploadOverhead = 64 << 10

// UploadBodyLimit is the body limit of a route that takes one upload: the largest
// file and the multipart framing around it. Routes that take uploads declare it
// with withMaxBody.
func (s *Server) UploadBodyLimit() int64 { return s.cfg.Files.MaxBytes + uploadOverhead }

// openFileStorage returns the configured storage, or a temporary directory when
// there is none, with what releases it.
func openFileStorage(st storage.Storage) (storage.Storage, func()) {
	if st != nil {
		return st, func() {}
	}
	dir, err := os.MkdirTemp("", "portal-files-")
	if err == nil {
		st, err = storage.NewLocal(dir)
	}
	if err != nil {
		panic(fmt.Sprintf("temporary file storage: %v", err))
	}
	return st, func() { _ = os.RemoveAll(dir) }
}

// uploadLimitByUser limits uploads per signed-in user (per client address for a
// visitor, whom the route's guard then sends to sign in).
func (s *Server) uploadLimitByUser() func(http.Handler) http.Handler {
	rate := s.cfg.Files.PerUser
	return httprate.LimitBy(rate.Count, rate.Window,
		func(r *http.Request) (string, error) {
			if v, ok := ViewerFrom(r.Context()); ok {
				return "user:" + v.ID.String(), nil
			}
			return "ip:" + httprate.CanonicalizeIP(middleware.GetClientIP(r.Context())), nil
		},
		httprate.WithLimitHandler(func(w http.ResponseWriter, r *http.Request) {
			s.log.Warn("uploads rate limited",
				slog.String("request_id", middleware.GetReqID(r.Context())))
			s.renderError(w, r, http.StatusTooManyRequests,
				"You have uploaded many files in a short time. Wait a minute and try again.")
		}))
}

// allowTransfer moves the connection's deadlines, which suit pages, far enough for
// n bytes at a slow 256 KiB/s: the write deadline, and for an upload the read one.
func allowTransfer(w http.ResponseWriter, n int64, upload bool) {
	deadline := time.Now().Add(2*time.Minute + time.Duration(n/(256<<10))*time.Second)
	rc := http.NewResponseController(w)
	if upload {
		_ = rc.SetReadDeadline(deadline)
	}
	_ = rc.SetWriteDeadline(deadline)
}

// filePageRows is how many files a page of the list shows.
const filePageRows = 50

// listFiles shows the organization's files, newest first, a page at a time.
func (s *Server) listFiles(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	ws, _ := WorkspaceFrom(ctx)

	before, err := parseFileCursor(r.URL.Query().Get("before"))
	if err != nil {
		return err
	}

	area, err := s.store.LoadFilePage(ctx, ws.OrgID, before, filePageRows)
	if err != nil {
		return fmt.Errorf("load files of %s: %w", ws.Slug, err)
	}

	form := s.withUsage(components.UploadForm{}, area.Usage)
	if !isFragmentRequest(r) {
		form.Notice = s.sessions.PopString(ctx, sessionNotice) // after a plain form's upload
	}
	view := s.filesView(r, area.Rows, before != nil, form)
	s.render(w, r, http.StatusOK, s.filesPage(r, view), components.FileList(view.List))
	return nil
}

// uploadFile streams one file from the request into storage, then records it.
func (s *Server) uploadFile(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	ws, _ := WorkspaceFrom(ctx)
	v, _ := ViewerFrom(ctx)
	allowTransfer(w, s.cfg.Files.MaxBytes, true)

	part, err := filePart(r)
	if err != nil {
		return s.refuseUpload(w, r, err)
	}
	staged, err := s.stageUpload(ctx, ws.OrgID, part)
	if err != nil {
		return s.refuseUpload(w, r, err)
	}

	file, area, err := s.recordUpload(ctx, ws.OrgID, v.ID, staged, isFragmentRequest(r))
	if err != nil {
		if refusal := s.quotaRefusal(err); refusal != nil {
			return s.refuseUpload(w, r, refusal)
		}
		return fmt.Errorf("record upload to %s: %w", ws.Slug, err)
	}
	s.log.Info("file uploaded", slog.String("request_id", middleware.GetReqID(ctx)),
		slog.String("org_id", ws.OrgID.String()), slog.String("file_id", file.ID.String()),
		slog.Int64("size", file.Size), slog.String("mime", file.Mime))

	notice := "Uploaded “" + file.Filename + "”."
	if file.Filename != rawFileName(part) {
		notice += " Its name was changed to one that is safe to show and save."
	}
	if !isFragmentRequest(r) {
		s.sessions.Put(ctx, sessionNotice, notice) // shown by the page redirected to
		http.Redirect(w, r, filesURL(ws.Slug), http.StatusSeeOther)
		return nil
	}
	view := s.filesView(r, area.Rows, false,
		s.withUsage(components.UploadForm{Notice: notice}, area.Usage))
	s.render(w, r, http.StatusCreated, s.filesPage(r, view), components.FilesArea(view))
	return nil
}

// recordUpload writes a staged file's row and its activity entry in one round trip,
// with, when withList, the first page of the list to answer with, read in the same
// batch. If the row cannot be written, the blob is removed; when the database
// cannot tell (db.ErrMaybeCommitted), the blob stays for the sweeper to judge.
func (s *Server) recordUpload(ctx context.Context, org db.OrgID, uploader uuid.UUID,
	staged stagedFile, withList bool) (db.File, db.FilesArea, error) {
	var file db.File
	var area db.FilesArea
	err := s.store.WriteInOrg(ctx, org, func(w *db.Writes) {
		s.queueFile(w, org, uploader, staged, &file)
		if withList {
			w.FilePage(org, nil, filePageRows, &area)
		}
	})
	if err != nil && !errors.Is(err, db.ErrMaybeCommitted) {
		s.discardStaged(ctx, staged)
	}
	return file, area, err
}

// refuseUpload answers a refused upload with the form and its error, at the
// error's status. The rest of the body is read first (at most the route's limit),
// so that the browser, still sending, gets the answer rather than a reset
// connection.
func (s *Server) refuseUpload(w http.ResponseWriter, r *http.Request, err error) error {
	var he *httpError
	if !errors.As(err, &he) || he.status >= 500 {
		return err
	}
	_, _ = io.Copy(io.Discard, r.Body)
	s.log.Info("upload refused", slog.String("request_id", middleware.GetReqID(r.Context())),
		slog.Int("status", he.status), slog.Any("error", err))

	form := components.UploadForm{Error: he.message}
	if isFragmentRequest(r) {
		s.renderStatus(w, r, he.status, components.UploadFormFragment(s.uploadForm(r, form)))
		return nil
	}
	return s.renderFilesArea(w, r, he.status, form)
}

// renderFilesArea renders the upload form and the first page of the list: the
// fragment that replaces both after an upload, or the whole page.
func (s *Server) renderFilesArea(w http.ResponseWriter, r *http.Request, status int,
	form components.UploadForm) error {
	ws, _ := WorkspaceFrom(r.Context())
	area, err := s.store.LoadFilePage(r.Context(), ws.OrgID, nil, filePageRows)
	if err != nil {
		return fmt.Errorf("load files of %s: %w", ws.Slug, err)
	}
	view := s.filesView(r, area.Rows, false, s.withUsage(form, area.Usage))
	s.render(w, r, status, s.filesPage(r, view), components.FilesArea(view))
	return nil
}

func (s *Server) filesPage(r *http.Request, v components.FilesView) templ.Component {
	return components.FilesPage(s.shellFor(r, components.SectionFiles,
		components.SectionFiles), v)
}

// filesView builds the view of the files area from a page of rows (one more than
// a page when an older page exists).
func (s *Server) filesView(r *http.Request, rows []db.ListFilesRow, paged bool,
	form components.UploadForm) components.FilesView {
	ws, _ := WorkspaceFrom(r.Context())
	v, _ := ViewerFrom(r.Context())
	base := filesURL(ws.Slug)

	list := components.FileListView{}
	if len(rows) > filePageRows {
		last := rows[filePageRows-1]
		list.OlderURL = base + "?before=" + url.QueryEscape(encodeKeyset(last.CreatedAt,
			last.ID))
		rows = rows[:filePageRows]
	}
	if paged {
		list.NewestURL = base
	}
	for _, f := range rows {
		row := components.FileRow{
			ID:          f.ID.String(),
			Name:        f.Filename,
			Size:        components.HumanSize(f.Size),
			Type:        typeInfo(baseMediaType(f.Mime)).label,
			Uploader:    "Someone",
			At:          f.CreatedAt,
			DownloadURL: base + "/" + f.ID.String(),
			DeleteURL:   base + "/" + f.ID.String() + "/delete",
			MayDelete:   mayDeleteFile(v, f.UploaderID),
		}
		if f.UploaderName != nil {
			row.Uploader = *f.UploaderName
		}
		list.Files = append(list.Files, row)
	}
	return components.FilesView{Upload: s.uploadForm(r, form), List: list}
}

// uploadForm completes the upload form's view with the route and the limits.
func (s *Server) uploadForm(r *http.Request, f components.UploadForm) components.UploadForm {
	ws, _ := WorkspaceFrom(r.Context())
	f.Action = filesURL(ws.Slug)
	f.MaxBytes = s.cfg.Files.MaxBytes
	f.MaxLabel = components.HumanSize(s.cfg.Files.MaxBytes)
	var labels, exts []string
	for _, t := range s.cfg.Files.AllowedTypes {
		info := typeInfo(t)
		if !slices.Contains(labels, info.label) {
			labels = append(labels, info.label)
		}
		exts = append(exts, info.exts...)
	}
	f.Types = strings.Join(labels, ", ")
	f.Accept = strings.Join(exts, ",")
	return f
}

// withUsage adds to the upload form what the organization's files take of its quota
// and what room is left.
func (s *Server) withUsage(f components.UploadForm, u db.GetFileUsageRow) components.UploadForm {
	q := s.cfg.Files
	f.Usage = fmt.Sprintf("Your organization's files take %s of %s, %s of %s files.",
		components.HumanSize(u.Bytes), components.HumanSize(q.OrgQuotaBytes),
		components.Count(int64(u.Files)), components.Count(int64(q.OrgQuotaFiles)))
	f.Room = &components.UploadRoom{Bytes: max(q.OrgQuotaBytes-u.Bytes, 0),
		Files: max(int64(q.OrgQuotaFiles)-int64(u.Files), 0), Message: s.quotaMessage()}
	return f
}

// mayDeleteFile reports whether the viewer may delete a file: its uploader, a
// client_admin or staff.
func mayDeleteFile(v Viewer, uploader uuid.UUID) bool {
	return v.ID == uploader || v.Role == RoleClientAdmin || v.IsStaff()
}

func filesURL(slug string) string { return "/o/" + slug + "/files" }

// parseFileCursor reads the "before" parameter of the list's older pages (the last
// row's time and ID, encodeKeyset's text); "" is the first page.
func parseFileCursor(s string) (*db.FileCursor, error) {
	if s == "" {
		return nil, nil
	}
	at, id, err := decodeKeyset(s)
	if err != nil {
		return nil, err
	}
	return &db.FileCursor{CreatedAt: at, ID: id}, nil
}
