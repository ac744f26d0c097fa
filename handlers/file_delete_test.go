package handlers

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/jusb/portal/handlers/storage"
)

// TestDeleteFile checks who may delete which file, and what deleting does: the row
// marked deleted with its activity entry, the download gone at once, the blob
// removed.
func TestDeleteFile(t *testing.T) {
	env := newTestEnv(t, Config{})
	clients := map[string]*testClient{}
	for _, email := range []string{"alice@acme.example", "bob@acme.example",
		"admin@jusb.example", "carol@globex.example"} {
		clients[email] = env.signedIn(email)
	}

	tests := []struct {
		name       string
		uploader   uuid.UUID
		actor      string
		slug       string
		fileID     string // instead of a new file's
		wantStatus int
	}{
		{name: "the uploader", uploader: env.fix.Bob.ID, actor: "bob@acme.example",
			wantStatus: 200},
		{name: "a client, someone else's file", uploader: env.fix.Alice.ID,
			actor: "bob@acme.example", wantStatus: 403},
		{name: "a client_admin, a client's file", uploader: env.fix.Bob.ID,
			actor: "alice@acme.example", wantStatus: 200},
		{name: "staff", uploader: env.fix.Bob.ID, actor: "admin@jusb.example",
			wantStatus: 200},
		{name: "another organization's member, with the ID in their own workspace",
			uploader: env.fix.Bob.ID, actor: "carol@globex.example", slug: "globex",
			wantStatus: 404},
		{name: "no such file", uploader: env.fix.Bob.ID, actor: "alice@acme.example",
			fileID: uuid.NewString(), wantStatus: 404},
		{name: "not an ID", uploader: env.fix.Bob.ID, actor: "alice@acme.example",
			fileID: "nope", wantStatus: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := env.addFile(t, env.fix.Acme.ID, tt.uploader, "Doomed "+tt.name+".txt",
				[]byte("doomed"))
			target := id.String()
			if tt.fileID != "" {
				target = tt.fileID
			}
			slug := "acme"
			if tt.slug != "" {
				slug = tt.slug
			}
			before := env.activityOf(t, env.fix.Acme.ID, "file.deleted")

			got := clients[tt.actor].post("/o/"+slug+"/files/"+target+"/delete", nil,
				"HX-Request", "true")
			if got.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", got.StatusCode, tt.wantStatus,
					got.body)
			}

			row := fileByID(t, env, id)
			download := env.signedIn("alice@acme.example").get("/o/acme/files/" + id.String())
			after := env.activityOf(t, env.fix.Acme.ID, "file.deleted")
			if tt.wantStatus != 200 || tt.fileID != "" {
				if row.Deleted || download.StatusCode != 200 || len(after) != len(before) {
					t.Errorf("refused delete changed something: deleted %v, download %d, "+
						"activity %q", row.Deleted, download.StatusCode, after)
				}
				return
			}
			if !strings.Contains(got.body, `data-testid="file-deleted"`) {
				t.Errorf("answer is not the deleted-file fragment: %s", got.body)
			}
			if !row.Deleted {
				t.Error("row not marked deleted")
			}
			if download.StatusCode != http.StatusNotFound {
				t.Errorf("download after delete: %d, want 404", download.StatusCode)
			}
			if _, err := env.srv.files.Open(context.Background(),
				row.StorageKey); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("blob after delete: %v, want it gone", err)
			}
			if len(after) != len(before)+1 || after[len(after)-1] != row.Filename {
				t.Errorf("file.deleted entries %q, want one more for %q", after, row.Filename)
			}
		})
	}

	// Without JavaScript the delete form's answer is a redirect to the list.
	id := env.addFile(t, env.fix.Acme.ID, env.fix.Bob.ID, "plain.txt", []byte("x"))
	got := clients["bob@acme.example"].post("/o/acme/files/"+id.String()+"/delete", nil)
	if got.StatusCode != http.StatusSeeOther || got.Header.Get("Location") != "/o/acme/files" {
		t.Errorf("plain delete: %d to %q", got.StatusCode, got.Header.Get("Location"))
	}
}

func fileByID(t *testing.T, env *testEnv, id uuid.UUID) fileRow {
	t.Helper()
	for _, f := range env.files(t, env.fix.Acme.ID) {
		if f.ID == id {
			return f
		}
	}
	t.Fatalf("no file %s", id)
	return fileRow{}
}
