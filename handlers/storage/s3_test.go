package storage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

const testBucket = "portal-files"

// newFakeS3 serves an in-process S3 (gofakes3) with one empty bucket and returns
// the storage on it. tls serves it over HTTPS, where the SDK's default checksums
// would turn bodies into aws-chunked streams that gofakes3 stores verbatim.
func newFakeS3(t *testing.T, tls bool) *S3 {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket(testBucket); err != nil {
		t.Fatal(err)
	}
	handler := gofakes3.New(backend).Server()
	ts := httptest.NewUnstartedServer(handler)
	if tls {
		ts.StartTLS()
	} else {
		ts.Start()
	}
	t.Cleanup(ts.Close)
	st, err := NewS3(S3Config{Bucket: testBucket, Endpoint: ts.URL, Region: "us-east-1",
		AccessKeyID: "test-key", SecretAccessKey: "test-secret", ForcePathStyle: true,
		HTTPClient: ts.Client()})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestS3(t *testing.T) {
	testStorage(t, func(t *testing.T) Storage { return newFakeS3(t, false) })
}

// TestS3BytesIntact sends blobs of one part and of several (the uploader's
// multipart path above 5 MiB), over HTTP and HTTPS, and reads back the same bytes.
func TestS3BytesIntact(t *testing.T) {
	tests := []struct {
		name string
		size int
		tls  bool
	}{
		{name: "one part", size: 300_000},
		{name: "multipart, 13 MiB", size: 13 << 20},
		{name: "multipart over TLS", size: 11 << 20, tls: true},
		{name: "one part over TLS", size: 1 << 20, tls: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newFakeS3(t, tt.tls)
			data := randomBytes(t, tt.size)
			put(t, st, "org/big", data)
			got := get(t, st, "org/big")
			if sha256.Sum256(got) != sha256.Sum256(data) {
				t.Errorf("read back %d bytes that differ from the %d written", len(got),
					len(data))
			}
			if n := len(listUploads(t, st)); n != 0 {
				t.Errorf("%d multipart uploads left open", n)
			}
		})
	}
}

// TestS3AbortMidway aborts an upload after several parts went out: no object, and
// no multipart upload left behind.
func TestS3AbortMidway(t *testing.T) {
	ctx := context.Background()
	st := newFakeS3(t, false)
	up, err := st.Create(ctx, "org/aborted")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(up, bytes.NewReader(randomBytes(t, 12<<20))); err != nil {
		t.Fatal(err)
	}
	if err := up.Abort(); err != nil {
		t.Fatalf("Abort: %v", err)
	}
	if _, err := st.Open(ctx, "org/aborted"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Open after Abort: %v, want ErrNotFound", err)
	}
	if n := len(listUploads(t, st)); n != 0 {
		t.Errorf("%d multipart uploads left open after Abort", n)
	}
}

// TestS3Leftovers finds an unfinished multipart upload (as a crash leaves it) and
// removes it.
func TestS3Leftovers(t *testing.T) {
	ctx := context.Background()
	st := newFakeS3(t, false)
	_, err := st.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket: aws.String(testBucket), Key: aws.String("org/crashed")})
	if err != nil {
		t.Fatal(err)
	}
	put(t, st, "org/kept", []byte("kept"))

	items := list(t, st)
	var leftovers int
	for _, it := range items {
		if it.Temporary {
			leftovers++
			if it.Key != "org/crashed" {
				t.Errorf("leftover key %q, want org/crashed", it.Key)
			}
			if err := st.Remove(ctx, it); err != nil {
				t.Fatalf("Remove leftover: %v", err)
			}
		}
	}
	if leftovers != 1 || len(items) != 2 {
		t.Errorf("List = %+v, want the blob and one leftover", items)
	}
	if n := len(listUploads(t, st)); n != 0 {
		t.Errorf("%d multipart uploads left after Remove", n)
	}
	if got := get(t, st, "org/kept"); string(got) != "kept" {
		t.Errorf("blob = %q after removing the leftover", got)
	}
}

func listUploads(t *testing.T, st *S3) []string {
	t.Helper()
	out, err := st.client.ListMultipartUploads(context.Background(),
		&s3.ListMultipartUploadsInput{Bucket: aws.String(testBucket)})
	if hasCode(err, "NoSuchUpload") {
		return nil // gofakes3's way of saying there are none
	}
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, u := range out.Uploads {
		keys = append(keys, aws.ToString(u.Key))
	}
	return keys
}
