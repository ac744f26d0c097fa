package handlers

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// errBadPageLink answers a paging link that the portal did not make.
var errBadPageLink = &httpError{status: http.StatusBadRequest,
	message: "This page link is not valid. Go back to the list and try again."}

// encodeKeyset encodes a keyset position, a time and an ID, for a URL or an event ID:
// the thread list's, a thread's messages' and the file list's pages use it.
func encodeKeyset(at time.Time, id uuid.UUID) string {
	return strconv.FormatInt(at.UnixMicro(), 10) + "." + id.String()
}

// decodeKeyset decodes encodeKeyset's text; "" is the zero cursor.
func decodeKeyset(s string) (time.Time, uuid.UUID, error) {
	if s == "" {
		return time.Time{}, uuid.UUID{}, nil
	}
	micros, idText, ok := strings.Cut(s, ".")
	us, err := strconv.ParseInt(micros, 10, 64)
	if !ok || err != nil {
		return time.Time{}, uuid.UUID{}, errBadPageLink
	}
	id, err := uuid.Parse(idText)
	if err != nil || us <= 0 {
		return time.Time{}, uuid.UUID{}, errBadPageLink
	}
	return time.UnixMicro(us).UTC(), id, nil
}
