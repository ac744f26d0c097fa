//lint:file-ignore SA1019 feature/s3/manager is the uploader go.mod has; its successor,
// feature/s3/transfermanager, is not a dependency yet.

package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// S3Config says where an S3-compatible bucket is and how to reach it.
type S3Config struct {
	Bucket string
	// Endpoint is the service's URL, such as https://s3.us-west-004.backblazeb2.com;
	// empty means Amazon S3 itself.
	Endpoint string
	// Region signs the requests; us-east-1 by default.
	Region                       string
	AccessKeyID, SecretAccessKey string
	// ForcePathStyle puts the bucket in the URL's path rather than its host name,
	// as most S3-compatible services other than Amazon's want.
	ForcePathStyle bool
	// PartSize and Concurrency shape multipart uploads: an upload holds about
	// PartSize × (Concurrency+1) bytes in memory. 5 MiB (the least S3 allows) and 2
	// by default.
	PartSize    int64
	Concurrency int
	// HTTPClient, if set, sends the requests (tests use it).
	HTTPClient *http.Client
}

// S3 keeps blobs as objects in one bucket. An upload streams through a multipart
// upload, whose object appears only when the upload completes; a failed upload is
// aborted. Leftover multipart uploads (after a crash) are what List reports as
// temporary. A lifecycle rule that aborts incomplete multipart uploads after a day
// is a good second net on the bucket.
type S3 struct {
	client   *s3.Client
	uploader *manager.Uploader
	bucket   string
}

// NewS3 returns the storage in cfg's bucket. It makes no request.
func NewS3(cfg S3Config) (*S3, error) {
	if cfg.Bucket == "" {
		return nil, errors.New("s3 storage: no bucket given")
	}
	if cfg.AccessKeyID == "" || cfg.SecretAccessKey == "" {
		return nil, errors.New("s3 storage: an access key ID and a secret access key are needed")
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.PartSize == 0 {
		cfg.PartSize = manager.MinUploadPartSize
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = 2
	}
	opts := s3.Options{
		Region: cfg.Region,
		Credentials: credentials.NewStaticCredentialsProvider(cfg.AccessKeyID,
			cfg.SecretAccessKey, ""),
		UsePathStyle: cfg.ForcePathStyle,
		// Since s3 v1.73 the SDK adds CRC32 checksums (and aws-chunked bodies) by
		// default, which S3-compatible services reject or store verbatim.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	}
	if cfg.Endpoint != "" {
		opts.BaseEndpoint = aws.String(cfg.Endpoint)
	}
	if cfg.HTTPClient != nil {
		opts.HTTPClient = cfg.HTTPClient
	}
	client := s3.New(opts)
	uploader := manager.NewUploader(client, func(u *manager.Uploader) {
		u.PartSize = cfg.PartSize
		u.Concurrency = cfg.Concurrency
		u.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
	})
	return &S3{client: client, uploader: uploader, bucket: cfg.Bucket}, nil
}

// Create implements Storage. The bytes written are piped to the SDK's uploader,
// which sends them a part at a time.
func (s *S3) Create(ctx context.Context, key string) (Upload, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	pr, pw := io.Pipe()
	u := &s3Upload{pw: pw, done: make(chan error, 1)}
	go func() {
		_, err := s.uploader.Upload(ctx, &s3.PutObjectInput{
			Bucket:      aws.String(s.bucket),
			Key:         aws.String(key),
			Body:        pr,
			ContentType: aws.String("application/octet-stream"),
		})
		// A failed upload stops reading: the next Write must fail, not block.
		if err != nil {
			pr.CloseWithError(err)
		}
		u.done <- err
	}()
	return u, nil
}

// errAborted ends the body of an upload that was aborted, so the uploader fails and
// aborts its multipart upload.
var errAborted = errors.New("upload aborted")

type s3Upload struct {
	pw       *io.PipeWriter
	done     chan error
	finished bool
}

func (u *s3Upload) Write(p []byte) (int, error) { return u.pw.Write(p) }

func (u *s3Upload) Commit(context.Context) error {
	if u.finished {
		return errors.New("commit blob: upload already finished")
	}
	u.finished = true
	_ = u.pw.Close()
	if err := <-u.done; err != nil {
		return fmt.Errorf("commit blob: %w", err)
	}
	return nil
}

func (u *s3Upload) Abort() error {
	if u.finished {
		return nil
	}
	u.finished = true
	_ = u.pw.CloseWithError(errAborted)
	if err := <-u.done; err == nil {
		return errors.New("abort blob: the upload completed anyway")
	}
	return nil
}

// Open implements Storage. It asks for the object's size and time; the content is
// fetched when first read, from the offset the reader has been moved to.
func (s *S3) Open(ctx context.Context, key string) (*Blob, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	head, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.bucket),
		Key: aws.String(key)})
	if err != nil {
		if isNotFound(err) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("open blob: %w", err)
	}
	b := &Blob{Size: aws.ToInt64(head.ContentLength)}
	if head.LastModified != nil {
		b.ModTime = *head.LastModified
	}
	b.Content = &s3Reader{ctx: ctx, s: s, key: key, size: b.Size}
	return b, nil
}

// s3Reader reads an object from its current offset with a ranged GET, opened on the
// first Read after a Seek that moved it.
type s3Reader struct {
	ctx    context.Context
	s      *S3
	key    string
	size   int64
	off    int64
	body   io.ReadCloser
	bodyAt int64 // the offset the open body is at
}

func (r *s3Reader) Read(p []byte) (int, error) {
	if r.off >= r.size {
		return 0, io.EOF
	}
	if r.body != nil && r.bodyAt != r.off {
		_ = r.body.Close()
		r.body = nil
	}
	if r.body == nil {
		out, err := r.s.client.GetObject(r.ctx, &s3.GetObjectInput{
			Bucket: aws.String(r.s.bucket),
			Key:    aws.String(r.key),
			Range:  aws.String(fmt.Sprintf("bytes=%d-", r.off)),
		})
		if err != nil {
			return 0, fmt.Errorf("read blob: %w", err)
		}
		r.body, r.bodyAt = out.Body, r.off
	}
	n, err := r.body.Read(p)
	r.off += int64(n)
	r.bodyAt = r.off
	if errors.Is(err, io.EOF) && r.off < r.size {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

func (r *s3Reader) Seek(offset int64, whence int) (int64, error) {
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = r.off + offset
	case io.SeekEnd:
		abs = r.size + offset
	default:
		return 0, errors.New("seek blob: invalid whence")
	}
	if abs < 0 {
		return 0, errors.New("seek blob: negative position")
	}
	r.off = abs
	return abs, nil
}

func (r *s3Reader) Close() error {
	if r.body == nil {
		return nil
	}
	err := r.body.Close()
	r.body = nil
	return err
}

// Delete implements Storage.
func (s *S3) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	_, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.bucket),
		Key: aws.String(key)})
	if err != nil && !isNotFound(err) {
		return fmt.Errorf("delete blob: %w", err)
	}
	return nil
}

// List implements Storage: the bucket's objects whose names are valid keys, then
// its unfinished multipart uploads.
func (s *S3) List(ctx context.Context, fn func(Item) error) error {
	objects := s3.NewListObjectsV2Paginator(s.client,
		&s3.ListObjectsV2Input{Bucket: aws.String(s.bucket)})
	for objects.HasMorePages() {
		page, err := objects.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list blobs: %w", err)
		}
		for _, o := range page.Contents {
			key := aws.ToString(o.Key)
			if !ValidKey(key) {
				continue
			}
			if err := fn(Item{Key: key, Size: aws.ToInt64(o.Size),
				ModTime: aws.ToTime(o.LastModified)}); err != nil {
				return err
			}
		}
	}

	uploads := s3.NewListMultipartUploadsPaginator(s.client,
		&s3.ListMultipartUploadsInput{Bucket: aws.String(s.bucket)})
	for uploads.HasMorePages() {
		page, err := uploads.NextPage(ctx)
		if hasCode(err, "NoSuchUpload") {
			break // how gofakes3 says there are none
		}
		if err != nil {
			return fmt.Errorf("list unfinished uploads: %w", err)
		}
		for _, u := range page.Uploads {
			if err := fn(s3Leftover(u)); err != nil {
				return err
			}
		}
	}
	return nil
}

func s3Leftover(u types.MultipartUpload) Item {
	return Item{Key: aws.ToString(u.Key), Temporary: true, ModTime: aws.ToTime(u.Initiated),
		uploadID: aws.ToString(u.UploadId)}
}

// Remove implements Storage: a leftover is an unfinished multipart upload, aborted.
func (s *S3) Remove(ctx context.Context, it Item) error {
	if !it.Temporary {
		return s.Delete(ctx, it.Key)
	}
	if it.uploadID == "" {
		return fmt.Errorf("storage: %q is not an unfinished upload", it.Key)
	}
	_, err := s.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
		Bucket: aws.String(s.bucket), Key: aws.String(it.Key), UploadId: aws.String(it.uploadID)})
	if err != nil && !hasCode(err, "NoSuchUpload") {
		return fmt.Errorf("abort unfinished upload: %w", err)
	}
	return nil
}

// isNotFound reports whether an S3 error says the object does not exist.
func isNotFound(err error) bool { return hasCode(err, "NoSuchKey") || hasCode(err, "NotFound") }

// hasCode reports whether err is the S3 error with that code.
func hasCode(err error, code string) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode() == code
}

var (
	_ Storage = (*Local)(nil)
	_ Storage = (*S3)(nil)
)
