package handlers

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/google/uuid"

	"github.com/jusb/portal/components"
	"github.com/jusb/portal/db"
	"github.com/jusb/portal/handlers/storage"
)

// downloadFile sends a file as an attachment, never as a page: its stored type
// (decided from its content at upload), nosniff, and a CSP sandbox in case a browser
// renders it anyway. Range requests and conditional GETs go through
// http.ServeContent, with the upload time and an ETag from the file's SHA-256.
func (s *Server) downloadFile(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	ws, _ := WorkspaceFrom(ctx)
	id, err := uuid.Parse(chi.URLParam(r, "file_id"))
	if err != nil {
		return errNotFound
	}

	f, err := s.store.LoadFile(ctx, ws.OrgID, id)
	if err != nil {
		return fmt.Errorf("load file %s: %w", id, err)
	}
	blob, err := s.files.Open(ctx, f.StorageKey)
	if errors.Is(err, storage.ErrNotFound) {
		s.log.Error("file without its blob", slog.String("file_id", id.String()),
			slog.String("org_id", ws.OrgID.String()),
			slog.String("request_id", middleware.GetReqID(ctx)))
		return &httpError{status: http.StatusInternalServerError,
			message: "This file's content is missing. We have been told.", err: err}
	}
	if err != nil {
		return fmt.Errorf("open file %s: %w", id, err)
	}
	defer blob.Content.Close()
	allowTransfer(w, blob.Size, false)

	h := w.Header()
	h.Set("Content-Type", f.Mime)
	h.Set("Content-Disposition", attachment(f.Filename))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("ETag", `"`+hex.EncodeToString(f.Sha256)+`"`)
	// The browser may keep the file but must ask again each time, so that access is
	// checked on every use (and If-None-Match makes that cheap).
	h.Set("Cache-Control", "private, no-cache")
	http.ServeContent(&sendfileWriter{ResponseWriter: w}, r, "", f.CreatedAt, blob.Content)
	return nil
}

// sendfileWriter gives the response writer a ReadFrom that reaches the one of the
// connection, which sends a file with sendfile(2). The session middleware's writer
// has none, so without this every byte of a download would be copied through a
// 32 KiB buffer. Headers still go through the whole chain: the body starts only
// after WriteHeader, which lets the session middleware do its part.
type sendfileWriter struct {
	http.ResponseWriter
	wroteHeader bool
}

func (w *sendfileWriter) WriteHeader(code int) {
	w.wroteHeader = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *sendfileWriter) Write(p []byte) (int, error) {
	w.wroteHeader = true
	return w.ResponseWriter.Write(p)
}

func (w *sendfileWriter) ReadFrom(src io.Reader) (int64, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	for inner := w.ResponseWriter; ; {
		if rf, ok := inner.(io.ReaderFrom); ok {
			return rf.ReadFrom(src)
		}
		u, ok := inner.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return io.Copy(writerOnly{w.ResponseWriter}, src)
		}
		inner = u.Unwrap()
	}
}

func (w *sendfileWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// writerOnly hides every method but Write, so that io.Copy cannot loop back.
type writerOnly struct{ io.Writer }

// deleteFile deletes a file, if the viewer uploaded it or is a client_admin or
// staff. The row is marked deleted first, with its activity entry, so that the file
// is gone for everyone at once; the blob goes after the commit (or, if that fails,
// with the sweeper).
func (s *Server) deleteFile(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	ws, _ := WorkspaceFrom(ctx)
	v, _ := ViewerFrom(ctx)
	id, err := uuid.Parse(chi.URLParam(r, "file_id"))
	if err != nil {
		return errNotFound
	}

	var deleted db.DeleteFileRow
	err = s.store.InOrg(ctx, ws.OrgID, func(q *db.Queries) error {
		deleted, err = q.DeleteFile(ctx, db.DeleteFileParams{OrgID: ws.OrgID, ID: id,
			ActorID: v.ID, MayDeleteAny: v.Role == RoleClientAdmin || v.IsStaff()})
		if errors.Is(err, db.ErrNotFound) {
			return whyNotDeleted(ctx, q, ws.OrgID, id)
		}
		if err != nil {
			return err
		}
		return recordActivity(ctx, q, ws.OrgID, v.ID, change{Action: "file.deleted",
			TargetType: "file", TargetID: &deleted.ID, Summary: deleted.Filename})
	})
	if err != nil {
		return fmt.Errorf("delete file %s: %w", id, err)
	}
	s.removeBlob(ctx, deleted.StorageKey)

	if !isFragmentRequest(r) {
		http.Redirect(w, r, filesURL(ws.Slug), http.StatusSeeOther)
		return nil
	}
	s.renderStatus(w, r, http.StatusOK, components.FileDeleted(deleted.Filename))
	return nil
}

// whyNotDeleted tells a file the viewer may not delete (403) from one that is not
// there (404), after DeleteFile changed nothing.
func whyNotDeleted(ctx context.Context, q *db.Queries, org db.OrgID, id uuid.UUID) error {
	_, err := q.GetFile(ctx, db.GetFileParams{OrgID: org, ID: id})
	if errors.Is(err, db.ErrNotFound) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	return &httpError{status: http.StatusForbidden,
		message: "Only the person who uploaded this file or an administrator may delete it."}
}

// attachment is the Content-Disposition of a download: an ASCII fallback name for
// old clients and the exact name in RFC 5987 encoding (filename*), which browsers
// prefer.
func attachment(name string) string {
	var ascii, enc strings.Builder
	for _, r := range name {
		switch {
		case r < 0x20 || r == 0x7f || r == '"' || r == '\\' || r > 0x7e:
			ascii.WriteByte('_')
		default:
			ascii.WriteRune(r)
		}
	}
	for _, b := range []byte(name) {
		if isAttrChar(b) {
			enc.WriteByte(b)
		} else {
			fmt.Fprintf(&enc, "%%%02X", b)
		}
	}
	return `attachment; filename="` + ascii.String() + `"; filename*=UTF-8''` + enc.String()
}

// isAttrChar reports whether b may stand unencoded in an RFC 5987 value.
func isAttrChar(b byte) bool {
	switch {
	case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		return true
	}
	return strings.IndexByte("!#$&+-.^_`|~", b) >= 0
}
