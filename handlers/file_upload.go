package handlers

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gabriel-vasile/mimetype"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"golang.org/x/text/unicode/norm"

	"github.com/jusb/portal/components"
	"github.com/jusb/portal/db"
)

// This file is the upload pipeline that the files area and message attachments
// share: the allowed types, stageUpload, insertFile and the file's safe name.

// DefaultFileTypes are the types uploads may have unless configured otherwise:
// documents and images people exchange, and no archives, HTML or SVG.
var DefaultFileTypes = []string{
	"application/pdf",
	"image/png",
	"image/jpeg",
	"image/gif",
	"image/webp",
	"text/plain",
	"text/csv",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"application/vnd.openxmlformats-officedocument.presentationml.presentation",
}

// fileTypeInfo names a type for people and lists the extensions a downloaded file
// of that type may keep.
type fileTypeInfo struct {
	label string
	exts  []string
}

var fileTypes = map[string]fileTypeInfo{
	"application/pdf": {"PDF", []string{".pdf"}},
	"image/png":       {"PNG", []string{".png"}},
	"image/jpeg":      {"JPEG", []string{".jpg", ".jpeg"}},
	"image/gif":       {"GIF", []string{".gif"}},
	"image/webp":      {"WebP", []string{".webp"}},
	"text/plain":      {"text", []string{".txt", ".text", ".md", ".log"}},
	"text/csv":        {"CSV", []string{".csv"}},
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document": {
		"Word", []string{".docx"}},
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
		"Excel", []string{".xlsx"}},
	"application/vnd.openxmlformats-officedocument.presentationml.presentation": {
		"PowerPoint", []string{".pptx"}},
}

func typeInfo(mediaType string) fileTypeInfo {
	if info, ok := fileTypes[mediaType]; ok {
		return info
	}
	info := fileTypeInfo{label: mediaType}
	if m := mimetype.Lookup(mediaType); m != nil && m.Extension() != "" {
		info.exts = []string{m.Extension()}
	}
	return info
}

// baseMediaType drops a media type's parameters, such as a charset.
func baseMediaType(t string) string {
	mt, _, err := mime.ParseMediaType(t)
	if err != nil {
		return t
	}
	return mt
}

// stagedFile is an upload streamed to storage under its final key but not yet recorded.
type stagedFile struct {
	Key, Name, Mime string
	Size            int64
	SHA256          []byte
}

// sniffBytes is how much of a file decides its type (what mimetype reads).
const sniffBytes = 4096

// copyBufferBytes is the buffer an upload is copied through.
const copyBufferBytes = 256 << 10

// errChooseFile answers an upload without a file.
var errChooseFile = &httpError{status: http.StatusUnprocessableEntity,
	message: "Choose a file to upload."}

// filePart returns the part of a multipart upload named "file", reading past the
// fields before it (the CSRF token).
func filePart(r *http.Request) (*multipart.Part, error) {
	bufferBody(r)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, errChooseFile
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, errChooseFile
		}
		if err != nil {
			return nil, readError(err)
		}
		if part.FormName() == "file" {
			if part.FileName() == "" {
				return nil, errChooseFile
			}
			return part, nil
		}
	}
}

// bufferBody puts a large buffer under the request's body. The multipart reader
// reads 4 KiB at a time; without the buffer each of those reads would be a system
// call on the connection.
func bufferBody(r *http.Request) {
	r.Body = struct {
		io.Reader
		io.Closer
	}{bufio.NewReaderSize(r.Body, copyBufferBytes), r.Body}
}

// stageUpload streams part into storage under a new random key, deciding its type
// from its first bytes against the allowed types, hashing it and counting it on
// the way. A refused or failed upload leaves nothing in storage. Errors a user can
// act on are *httpError (413, 415, 422, 400); the caller records the file with
// insertFile, or calls discardStaged if it cannot.
func (s *Server) stageUpload(ctx context.Context, org db.OrgID, part *multipart.Part) (
	stagedFile, error) {
	if err := checkFileName(rawFileName(part)); err != nil {
		return stagedFile{}, err
	}
	head := make([]byte, sniffBytes)
	n, err := io.ReadFull(part, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return stagedFile{}, readError(err)
	}
	head = head[:n]
	if n == 0 {
		return stagedFile{}, &httpError{status: http.StatusUnprocessableEntity,
			message: "The file is empty."}
	}
	mediaType, err := s.allowedType(head)
	if err != nil {
		return stagedFile{}, err
	}

	f := stagedFile{Key: newFileKey(org), Mime: mediaType,
		Name: safeFileName(rawFileName(part), baseMediaType(mediaType))}
	up, err := s.files.Create(ctx, f.Key)
	if err != nil {
		return stagedFile{}, fmt.Errorf("stage upload: %w", err)
	}
	hash := sha256.New()
	max := s.cfg.Files.MaxBytes
	src := &io.LimitedReader{R: io.MultiReader(bytes.NewReader(head), part), N: max + 1}
	var werr error
	f.Size, err, werr = copyInChunks(up, hash, src)
	if err == nil && werr == nil && f.Size > max {
		err = tooLarge(max)
	}
	if err != nil || werr != nil {
		if aerr := up.Abort(); aerr != nil {
			s.log.Error("abort upload", slog.String("key", f.Key), slog.Any("error", aerr))
		}
		if werr != nil {
			return stagedFile{}, fmt.Errorf("stage upload: %w", werr)
		}
		return stagedFile{}, readError(err)
	}
	if err := up.Commit(ctx); err != nil {
		return stagedFile{}, fmt.Errorf("stage upload: %w", err)
	}
	f.SHA256 = hash.Sum(nil)
	return f, nil
}

// copyInChunks copies src to dst and into h. It fills a large buffer before each
// write, since a multipart part reads a few KiB at a time and storage works best
// with large writes, and it hashes each chunk in a goroutine of its own while the
// chunk is written, so that SHA-256 does not slow the upload down. Two buffers take
// turns. It tells a failure to read (the client's: rerr) from one to write (the
// portal's: werr).
func copyInChunks(dst io.Writer, h hash.Hash, src io.Reader) (n int64, rerr, werr error) {
	bufs := [2][]byte{make([]byte, copyBufferBytes), make([]byte, copyBufferBytes)}
	free := [2]chan struct{}{make(chan struct{}, 1), make(chan struct{}, 1)}
	free[0] <- struct{}{}
	free[1] <- struct{}{}
	type chunk struct {
		b    []byte
		free chan struct{}
	}
	chunks := make(chan chunk, 1)
	hashed := make(chan struct{})
	go func() {
		defer close(hashed)
		for c := range chunks {
			h.Write(c.b)
			c.free <- struct{}{}
		}
	}()
	defer func() {
		close(chunks)
		<-hashed
	}()

	for i := 0; ; i = 1 - i {
		<-free[i] // hashed since its last turn
		m, err := io.ReadFull(src, bufs[i])
		if m > 0 {
			chunks <- chunk{b: bufs[i][:m], free: free[i]}
			if _, werr := dst.Write(bufs[i][:m]); werr != nil {
				return n, nil, werr
			}
			n += int64(m)
		} else {
			free[i] <- struct{}{}
		}
		switch {
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			return n, nil, nil
		case err != nil:
			return n, err, nil
		}
	}
}

// discardStaged removes a staged file's blob, when its row could not be written. A
// failure is logged: the sweeper removes the blob later.
func (s *Server) discardStaged(ctx context.Context, f stagedFile) {
	s.removeBlob(ctx, f.Key)
}

// removeBlob deletes a blob whatever became of the request; a failure is logged,
// and the sweeper (portal files sweep) removes the blob later.
func (s *Server) removeBlob(ctx context.Context, key string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := s.files.Delete(ctx, key); err != nil {
		s.log.Warn("remove blob (the sweeper will retry)", slog.String("key", key),
			slog.Any("error", err))
	}
}

// insertFile records a staged file in q's transaction, with its file.uploaded
// activity entry.
func (s *Server) insertFile(ctx context.Context, q *db.Queries, org db.OrgID,
	uploader uuid.UUID, f stagedFile) (db.File, error) {
	file, err := q.CreateFile(ctx, s.newFileParams(org, uploader, f))
	if err != nil {
		return db.File{}, fmt.Errorf("insert file: %w", err)
	}
	err = recordActivity(ctx, q, org, uploader, uploadedEntry(file.ID, file.Filename))
	return file, err
}

// queueFile adds a staged file's row and its file.uploaded entry to a WriteInOrg
// batch, as insertFile does to a transaction; the row lands in dst.
func (s *Server) queueFile(w *db.Writes, org db.OrgID, uploader uuid.UUID, f stagedFile,
	dst *db.File) {
	row := s.newFileParams(org, uploader, f)
	w.CreateFile(row, dst)
	queueActivity(w, org, uploader, uploadedEntry(row.ID, row.Filename))
}

// newFileParams is a staged file's row, under a new ID chosen here, so that the
// statements after it in a batch can name it, within the organization's quota.
func (s *Server) newFileParams(org db.OrgID, uploader uuid.UUID,
	f stagedFile) db.CreateFileParams {
	return db.CreateFileParams{ID: uuid.New(), OrgID: org, UploaderID: uploader,
		Filename: f.Name, StorageKey: f.Key, Mime: f.Mime, Size: f.Size, Sha256: f.SHA256,
		QuotaBytes: s.cfg.Files.OrgQuotaBytes, QuotaFiles: s.cfg.Files.OrgQuotaFiles}
}

// quotaRefusal is the 413 that answers an upload whose file the database refused for
// taking the organization past its quota (SQLSTATE 53400, from file_usage_count), or
// nil when err is anything else.
func (s *Server) quotaRefusal(err error) *httpError {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != sqlstateLimitExceeded {
		return nil
	}
	return &httpError{status: http.StatusRequestEntityTooLarge, err: err,
		message: s.quotaMessage()}
}

// quotaMessage says that a file does not fit in the organization's quota, and what to do.
func (s *Server) quotaMessage() string {
	q := s.cfg.Files
	return fmt.Sprintf("Your organization's files are at their limit of %s in %s files. "+
		"Delete files you no longer need, or ask JusB to raise the limit.",
		components.HumanSize(q.OrgQuotaBytes), components.Count(int64(q.OrgQuotaFiles)))
}

// sqlstateLimitExceeded is PostgreSQL's configuration_limit_exceeded.
const sqlstateLimitExceeded = "53400"

func uploadedEntry(id uuid.UUID, name string) change {
	return change{Action: "file.uploaded", TargetType: "file", TargetID: &id,
		Summary: name}
}

// newFileKey returns a random storage key under the organization's prefix; it
// never comes from the file's name.
func newFileKey(org db.OrgID) string { return org.String() + "/" + rand.Text() }

func tooLarge(max int64) error {
	return &httpError{status: http.StatusRequestEntityTooLarge,
		message: "The file is larger than the limit of " + components.HumanSize(max) + "."}
}

// readError turns a failure to read the upload into its answer: 413 when the body
// passed the route's limit, 400 when the upload broke off.
func readError(err error) error {
	var he *httpError
	if errors.As(err, &he) {
		return err
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &httpError{status: http.StatusRequestEntityTooLarge,
			message: "The upload is larger than the limit.", err: err}
	}
	return &httpError{status: http.StatusBadRequest,
		message: "The upload broke off before the end. Try again.", err: err}
}

// activeMarkers betray HTML or script inside a file whose type says image or
// document: a polyglot that a browser ignoring its type could run.
var activeMarkers = [][]byte{[]byte("<script"), []byte("<html"), []byte("<svg"),
	[]byte("<iframe"), []byte("<!doctype html"), []byte("<body"), []byte("<object")}

// allowedType decides an upload's type from its first bytes and returns it as
// stored (with a charset for text), or a 415 naming what is allowed.
func (s *Server) allowedType(head []byte) (string, error) {
	detected := mimetype.Detect(head)
	for _, allowed := range s.cfg.Files.AllowedTypes {
		if !detected.Is(allowed) {
			continue
		}
		base := baseMediaType(allowed)
		if !strings.HasPrefix(base, "text/") {
			lower := bytes.ToLower(head)
			for _, m := range activeMarkers {
				if bytes.Contains(lower, m) {
					return "", &httpError{status: http.StatusUnsupportedMediaType,
						message: "This file looks like a " + typeInfo(base).label +
							" but carries web page code, so it cannot be uploaded."}
				}
			}
		}
		_, params, _ := mime.ParseMediaType(detected.String())
		return mime.FormatMediaType(base, params), nil
	}
	what := typeInfo(baseMediaType(detected.String())).label
	if baseMediaType(detected.String()) == "application/octet-stream" {
		what = "unknown"
	}
	var labels []string
	for _, t := range s.cfg.Files.AllowedTypes {
		if l := typeInfo(t).label; !slices.Contains(labels, l) {
			labels = append(labels, l)
		}
	}
	return "", &httpError{status: http.StatusUnsupportedMediaType,
		message: "Files of this type (" + what + ") cannot be uploaded here. Allowed: " +
			strings.Join(labels, ", ") + "."}
}

// rawFileName is the file name as the client sent it. (Part.FileName has already
// dropped any directories, which would hide that the name was changed.)
func rawFileName(part *multipart.Part) string {
	_, params, err := mime.ParseMediaType(part.Header.Get("Content-Disposition"))
	if err != nil || params["filename"] == "" {
		return part.FileName()
	}
	return params["filename"]
}

// errNameClimbs and errNameControl refuse file names that no sanitizing should
// paper over: a name that points out of its folder, or one with control
// characters, comes from a tool or an attacker rather than from a person.
var (
	errNameClimbs = &httpError{status: http.StatusUnprocessableEntity,
		message: "The file's name contains “../” (or “..\\”), which points outside its " +
			"folder. Rename the file and upload it again."}
	errNameControl = &httpError{status: http.StatusUnprocessableEntity,
		message: "The file's name contains control characters (such as NUL, a tab or a " +
			"line break). Rename the file and upload it again."}
)

// checkFileName refuses an uploaded name with control characters (Unicode Cc: NUL,
// tabs, line breaks, DEL, C1) or with a ".." part between path separators ("../",
// "..\", a name that is only ".."), also when written with look-alike characters
// that NFKC folds into dots and slashes (fullwidth "．．／") or around bytes that
// are not UTF-8 (which safeFileName would drop). Other names are
// accepted, and safeFileName makes them safe to show.
func checkFileName(raw string) error {
	if strings.IndexFunc(raw, unicode.IsControl) >= 0 {
		return errNameControl
	}
	folded := norm.NFKC.String(strings.ToValidUTF8(raw, ""))
	parts := strings.FieldsFunc(folded, func(r rune) bool {
		return r == '/' || r == '\\' || r == '\u2215' || r == '\u2044' || r == '\u29f8'
	})
	for _, part := range parts {
		if strings.Trim(part, " ") == ".." {
			return errNameClimbs
		}
	}
	return nil
}

// maxFileName is the longest name kept, in characters (file.filename's limit).
const maxFileName = 255

// safeFileName returns the name to show and to offer when downloading: the last
// part of the uploaded name (no directories, no ".."), without control characters,
// bidirectional overrides and other invisible format characters, at most 255
// characters, and ending with an extension that fits the file's actual type. The
// name is for display only; storage keys never derive from it.
func safeFileName(raw, mediaType string) string {
	raw = strings.ToValidUTF8(raw, "")
	if i := strings.LastIndexAny(raw, `/\`); i >= 0 {
		raw = raw[i+1:]
	}
	name := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Zl, r) ||
			unicode.Is(unicode.Zp, r) {
			return -1
		}
		if unicode.IsSpace(r) {
			return ' '
		}
		return r
	}, raw)
	name = strings.Trim(name, " .")

	info := typeInfo(mediaType)
	ext := strings.ToLower(path.Ext(name))
	if len(info.exts) > 0 && !slices.Contains(info.exts, ext) {
		name += info.exts[0]
	}
	if strings.Trim(strings.TrimSuffix(name, path.Ext(name)), " .") == "" {
		name = "file" + path.Ext(name)
	}
	if utf8.RuneCountInString(name) > maxFileName {
		ext := []rune(path.Ext(name))
		if len(ext) > 20 {
			ext = nil
		}
		stem := []rune(strings.TrimSuffix(name, string(ext)))
		name = strings.TrimRight(string(stem[:maxFileName-len(ext)]), " .") + string(ext)
	}
	return name
}
