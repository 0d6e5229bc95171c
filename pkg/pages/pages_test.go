package pages

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/lambda-mangopay/lambda-mangopay/internal/awstest"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

// newStore returns a Store over a fresh bucket with no default encryption,
// so that any encryption seen on an object comes from the Store's request.
func newStore(t *testing.T, sse SSE) (*Store, context.Context) {
	t.Helper()
	t.Parallel()
	client := s3.NewFromConfig(awstest.Config(t), func(o *s3.Options) {
		o.DisableLogOutputChecksumValidationSkipped = true
	})
	bucket := awstest.UniqueName(t, "pages")
	ctx := t.Context()
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{
		Bucket: aws.String(bucket),
		CreateBucketConfiguration: &types.CreateBucketConfiguration{
			LocationConstraint: types.BucketLocationConstraint(awstest.Region),
		},
	}); err != nil {
		t.Fatal(err)
	}
	return &Store{S3: client, Bucket: bucket, SSE: sse}, ctx
}

// file returns size bytes starting with the given magic number.
func file(magic string, size int) []byte {
	b := bytes.Repeat([]byte{0x42}, size)
	copy(b, magic)
	return b
}

const (
	pdf  = "%PDF-1.7\n"
	jpeg = "\xFF\xD8\xFF\xE0"
	png  = "\x89PNG\r\n\x1A\n"
)

func TestSniffJudgesBytesOnly(t *testing.T) {
	for _, c := range []struct {
		name, data, want string
	}{
		{"pdf", pdf + "rest", TypePDF},
		{"jpeg", jpeg + "rest", TypeJPEG},
		{"png", png + "rest", TypePNG},
		{"text named .png", "hello, I am a text file called scan.png", ""},
		{"gif", "GIF89a....", ""},
		{"truncated png", "\x89PN", ""},
		{"empty", "", ""},
		{"html", "<html><body>%PDF-</body></html>", ""},
	} {
		got, ok := Sniff([]byte(c.data))
		if got != c.want || ok != (c.want != "") {
			t.Errorf("%s: Sniff = %q, %v; want %q", c.name, got, ok, c.want)
		}
	}
}

func TestPutEncryptsAndDescribesThePage(t *testing.T) {
	for _, c := range []struct {
		name string
		sse  SSE
		want types.ServerSideEncryption
	}{
		{"default AES256", SSE{}, types.ServerSideEncryptionAes256},
		{"KMS key", SSE{KMSKeyID: "arn:aws:kms:eu-west-1:123456789012:key/pages"}, types.ServerSideEncryptionAwsKms},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, ctx := newStore(t, c.sse)
			data := file(jpeg, 40<<10)
			info, err := s.Put(ctx, "doc_01J", 1, "IDENTITY_PROOF", data)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(data)
			want := PageInfo{Key: "documents/doc_01J/pages/1", Number: 1, SHA256: hex.EncodeToString(sum[:]),
				Size: int64(len(data)), ContentType: TypeJPEG, VersionID: info.VersionID}
			if info != want {
				t.Fatalf("Put = %+v, want %+v", info, want)
			}
			head, err := s.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(info.Key)})
			if err != nil {
				t.Fatal(err)
			}
			if head.ServerSideEncryption != c.want || aws.ToString(head.SSEKMSKeyId) != c.sse.KMSKeyID {
				t.Fatalf("stored with encryption %q key %q, want %q key %q",
					head.ServerSideEncryption, aws.ToString(head.SSEKMSKeyId), c.want, c.sse.KMSKeyID)
			}
			if aws.ToString(head.ContentType) != TypeJPEG {
				t.Fatalf("content type %q", aws.ToString(head.ContentType))
			}
			got, err := s.Get(ctx, info.Key)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("Get: %d bytes, %v", len(got), err)
			}
		})
	}
}

func TestPutRefusesBadPages(t *testing.T) {
	s, ctx := newStore(t, SSE{})
	secretText := strings.Repeat("confidential passport scan as text ", 100)
	for _, c := range []struct {
		name    string
		docType string
		number  int
		data    []byte
		want    error
	}{
		{"text file named scan.png", "ADDRESS_PROOF", 1, []byte(secretText), ErrUnsupportedType},
		{"identity proof under 32 KiB", "IDENTITY_PROOF", 1, file(pdf, 32<<10-1), ErrTooSmall},
		{"address proof under 1 KiB", "ADDRESS_PROOF", 1, file(png, 1023), ErrTooSmall},
		{"over 7 MB", "ADDRESS_PROOF", 1, file(pdf, MaxSize+1), ErrTooLarge},
		{"sixth page", "ADDRESS_PROOF", 6, file(pdf, 2048), ErrTooManyPages},
		{"page zero", "ADDRESS_PROOF", 0, file(pdf, 2048), ErrInvalid},
		{"unknown document type", "SELFIE", 1, file(pdf, 2048), ErrUnknownDocType},
	} {
		_, err := s.Put(ctx, "doc_01J", c.number, c.docType, c.data)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "confidential") {
			t.Errorf("%s: the error message shows the file's content", c.name)
		}
	}
	if _, err := s.Put(ctx, "../other", 1, "ADDRESS_PROOF", file(pdf, 2048)); !errors.Is(err, ErrInvalid) {
		t.Errorf("document id with a path: got %v, want ErrInvalid", err)
	}
	list, err := s.S3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(s.Bucket)})
	if err != nil || len(list.Contents) != 0 {
		t.Fatalf("refused pages were stored: %d objects, %v", len(list.Contents), err)
	}
	// At the limits, pages are accepted.
	for _, c := range []struct {
		docType string
		size    int
	}{{"IDENTITY_PROOF", 32 << 10}, {"ADDRESS_PROOF", 1 << 10}, {"ADDRESS_PROOF", MaxSize}} {
		if _, err := s.Put(ctx, "doc_01J", 5, c.docType, file(pdf, c.size)); err != nil {
			t.Errorf("%s page of %d bytes: %v", c.docType, c.size, err)
		}
	}
}

func TestGetMissingPage(t *testing.T) {
	s, ctx := newStore(t, SSE{})
	if _, err := s.Get(ctx, "documents/doc_x/pages/1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("got %v, want ErrNotFound", err)
	}
}

func TestPresignUploadBounds(t *testing.T) {
	s, ctx := newStore(t, SSE{})
	up, err := s.PresignUpload(ctx, "doc_01J", 2, "IDENTITY_PROOF", 40<<10, 0)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(up.URL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if q.Get("X-Amz-Expires") != "300" {
		t.Errorf("X-Amz-Expires = %q, want 300 (5 minutes)", q.Get("X-Amz-Expires"))
	}
	signed := strings.Split(q.Get("X-Amz-SignedHeaders"), ";")
	for _, h := range []string{"content-length", "x-amz-server-side-encryption"} {
		if !contains(signed, h) {
			t.Errorf("%s is not signed (signed: %v)", h, signed)
		}
	}
	if up.Header.Get("Content-Length") != "40960" || up.Header.Get("X-Amz-Server-Side-Encryption") != "AES256" {
		t.Errorf("headers to send: %v", up.Header)
	}
	for name, call := range map[string]func() error{
		"over the maximum": func() error {
			_, err := s.PresignUpload(ctx, "doc_01J", 2, "ADDRESS_PROOF", MaxSize+1, 0)
			return err
		},
		"under the minimum": func() error {
			_, err := s.PresignUpload(ctx, "doc_01J", 2, "IDENTITY_PROOF", 1000, 0)
			return err
		},
		"sixth page": func() error {
			_, err := s.PresignUpload(ctx, "doc_01J", 6, "ADDRESS_PROOF", 2048, 0)
			return err
		},
		"an hour": func() error {
			_, err := s.PresignUpload(ctx, "doc_01J", 2, "ADDRESS_PROOF", 2048, time.Hour)
			return err
		},
	} {
		if call() == nil {
			t.Errorf("presigning %s: no error", name)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// send performs a presigned upload with plain net/http.
func send(t *testing.T, up Upload, body []byte, header http.Header) *http.Response {
	t.Helper()
	req, err := http.NewRequest(up.Method, up.URL, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		if k != "Content-Length" {
			req.Header[k] = v
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestPresignedUploadThenVerify(t *testing.T) {
	s, ctx := newStore(t, SSE{})
	data := file(png, 40<<10)
	up, err := s.PresignUpload(ctx, "doc_01J", 1, "IDENTITY_PROOF", int64(len(data)), 0)
	if err != nil {
		t.Fatal(err)
	}
	if resp := send(t, up, data, up.Header); resp.StatusCode != http.StatusOK {
		t.Fatalf("presigned PUT: %s", resp.Status)
	}
	head, err := s.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(up.Key)})
	if err != nil {
		t.Fatal(err)
	}
	if head.ServerSideEncryption != types.ServerSideEncryptionAes256 {
		t.Fatalf("uploaded page encryption %q, want AES256", head.ServerSideEncryption)
	}
	info, err := s.Verify(ctx, "doc_01J", 1, "IDENTITY_PROOF", up.Size)
	if err != nil || info.ContentType != TypePNG || info.Size != int64(len(data)) {
		t.Fatalf("Verify = %+v, %v", info, err)
	}
}

func TestVerifyDeletesARefusedUpload(t *testing.T) {
	s, ctx := newStore(t, SSE{})
	text := bytes.Repeat([]byte("not an image "), 4000)
	up, err := s.PresignUpload(ctx, "doc_01J", 1, "IDENTITY_PROOF", int64(len(text)), 0)
	if err != nil {
		t.Fatal(err)
	}
	if resp := send(t, up, text, up.Header); resp.StatusCode != http.StatusOK {
		t.Fatalf("presigned PUT: %s", resp.Status)
	}
	if _, err := s.Verify(ctx, "doc_01J", 1, "IDENTITY_PROOF", up.Size); !errors.Is(err, ErrUnsupportedType) {
		t.Fatalf("Verify: got %v, want ErrUnsupportedType", err)
	}
	if _, err := s.Get(ctx, up.Key); !errors.Is(err, ErrNotFound) {
		t.Fatalf("refused upload still stored: %v", err)
	}
}

// TestUploadOfAnotherSizeIsRefused: S3 refuses a presigned PUT whose
// Content-Length differs from the signed one, but moto does not check
// presigned signatures at all (it accepts even a corrupted signature), so
// here the upload goes through and Verify is what refuses it.
func TestUploadOfAnotherSizeIsRefused(t *testing.T) {
	s, ctx := newStore(t, SSE{})
	up, err := s.PresignUpload(ctx, "doc_01J", 1, "IDENTITY_PROOF", 40<<10, 0)
	if err != nil {
		t.Fatal(err)
	}
	bigger := file(pdf, 50<<10)
	if resp := send(t, up, bigger, up.Header); resp.StatusCode != http.StatusOK {
		t.Logf("the server refused the wrong size itself: %s", resp.Status)
	}
	if _, err := s.Verify(ctx, "doc_01J", 1, "IDENTITY_PROOF", up.Size); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Verify of a %d-byte upload signed for %d: got %v, want ErrInvalid", len(bigger), up.Size, err)
	}
	if _, err := s.Get(ctx, up.Key); !errors.Is(err, ErrNotFound) {
		t.Fatalf("upload of the wrong size still stored: %v", err)
	}
}
