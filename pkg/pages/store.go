package pages

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Presigned upload expiry: short by default, bounded.
const (
	DefaultPresignExpiry = 5 * time.Minute
	MaxPresignExpiry     = 15 * time.Minute
)

// SSE chooses the server-side encryption of stored pages: SSE-S3 (AES256)
// by default, SSE-KMS with KMSKeyID when it is set.
type SSE struct {
	KMSKeyID string
}

// Store keeps KYC pages in an S3 bucket, encrypted at rest. Its zero SSE
// means AES256. Page bytes never appear in its logs or errors.
type Store struct {
	S3     *s3.Client
	Bucket string
	SSE    SSE
	// Now is the clock for presigned URLs' reported expiry (time.Now if nil).
	Now func() time.Time
}

// PageInfo describes a stored page; its fields go on the page record.
type PageInfo struct {
	Key         string
	Number      int
	SHA256      string // hex
	Size        int64
	ContentType string
	VersionID   string
}

var docIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// Key returns the S3 key of page number of a document: documents/<docID>/pages/<n>.
func Key(docID string, number int) (string, error) {
	if !docIDPattern.MatchString(docID) {
		return "", fmt.Errorf("%w: document id %q: use 1 to 128 letters, digits, '_' or '-'", ErrInvalid, docID)
	}
	if err := CheckNumber(number); err != nil {
		return "", err
	}
	return "documents/" + docID + "/pages/" + strconv.Itoa(number), nil
}

// Put checks a page (number, type sniffed from the bytes, size limits of
// docType) and stores it encrypted under Key(docID, number). S3 verifies
// the upload against the SHA-256 computed here.
func (s *Store) Put(ctx context.Context, docID string, number int, docType string, data []byte) (PageInfo, error) {
	key, err := Key(docID, number)
	if err != nil {
		return PageInfo{}, err
	}
	ct, err := Check(docType, number, data)
	if err != nil {
		return PageInfo{}, err
	}
	sum := sha256.Sum256(data)
	in := &s3.PutObjectInput{
		Bucket:         aws.String(s.Bucket),
		Key:            aws.String(key),
		Body:           bytes.NewReader(data),
		ContentLength:  aws.Int64(int64(len(data))),
		ContentType:    aws.String(ct),
		ChecksumSHA256: aws.String(base64.StdEncoding.EncodeToString(sum[:])),
		Metadata:       map[string]string{"doc-type": docType},
	}
	in.ServerSideEncryption, in.SSEKMSKeyId = s.sse()
	out, err := s.S3.PutObject(ctx, in)
	if err != nil {
		return PageInfo{}, fmt.Errorf("pages: store %s: %w", key, err)
	}
	return PageInfo{Key: key, Number: number, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data)),
		ContentType: ct, VersionID: aws.ToString(out.VersionId)}, nil
}

func (s *Store) sse() (types.ServerSideEncryption, *string) {
	if s.SSE.KMSKeyID != "" {
		return types.ServerSideEncryptionAwsKms, aws.String(s.SSE.KMSKeyID)
	}
	return types.ServerSideEncryptionAes256, nil
}

// Get returns the bytes of the page stored under key (at most MaxSize).
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	out, err := s.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(key)})
	if err != nil {
		var nsk *types.NoSuchKey
		if errors.As(err, &nsk) {
			return nil, fmt.Errorf("pages: get %s: %w", key, ErrNotFound)
		}
		return nil, fmt.Errorf("pages: get %s: %w", key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(io.LimitReader(out.Body, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("pages: read %s: %w", key, err)
	}
	if len(b) > MaxSize {
		return nil, fmt.Errorf("pages: %s: %w", key, ErrTooLarge)
	}
	return b, nil
}

// Verify checks a page uploaded through a presigned URL as Put checks its
// input (type from the bytes, size limits), and that it has the size the
// upload was signed for (size; 0 skips that check). It returns the page's
// description. A page that fails is deleted, and the error says why.
func (s *Store) Verify(ctx context.Context, docID string, number int, docType string, size int64) (PageInfo, error) {
	key, err := Key(docID, number)
	if err != nil {
		return PageInfo{}, err
	}
	data, err := s.Get(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return PageInfo{}, err
	}
	if err == nil {
		var info PageInfo
		if info, err = describe(key, number, docType, size, data); err == nil {
			return info, nil
		}
	}
	if _, derr := s.S3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(key)}); derr != nil {
		return PageInfo{}, errors.Join(err, fmt.Errorf("pages: delete refused page %s: %w", key, derr))
	}
	return PageInfo{}, err
}

// describe checks an uploaded page and returns its description.
func describe(key string, number int, docType string, size int64, data []byte) (PageInfo, error) {
	if size > 0 && int64(len(data)) != size {
		return PageInfo{}, fmt.Errorf("%w: %s holds %d bytes, the upload was signed for %d: upload the file again",
			ErrInvalid, key, len(data), size)
	}
	ct, err := Check(docType, number, data)
	if err != nil {
		return PageInfo{}, err
	}
	sum := sha256.Sum256(data)
	return PageInfo{Key: key, Number: number, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data)), ContentType: ct}, nil
}

// Upload is a presigned PUT for one page: send exactly Size bytes to URL
// with Method and every header in Header, before ExpiresAt.
type Upload struct {
	URL       string
	Method    string
	Header    http.Header
	Key       string
	Size      int64
	ExpiresAt time.Time
}

// PresignUpload signs a PUT of one page of size bytes, for files too big
// to pass through a Lambda payload (about 6 MB). The signature covers the
// Content-Length and the encryption header, so S3 refuses any other size
// or a request without encryption; expiry defaults to
// DefaultPresignExpiry and may not exceed MaxPresignExpiry. The size is
// checked against the limits of docType before anything is signed. After
// the upload, call Verify: the content type can only be judged then.
func (s *Store) PresignUpload(ctx context.Context, docID string, number int, docType string, size int64, expiry time.Duration) (Upload, error) {
	key, err := Key(docID, number)
	if err != nil {
		return Upload{}, err
	}
	if err := CheckSize(docType, size); err != nil {
		return Upload{}, err
	}
	if expiry <= 0 {
		expiry = DefaultPresignExpiry
	}
	if expiry > MaxPresignExpiry {
		return Upload{}, fmt.Errorf("%w: presigned upload expiry %s exceeds %s", ErrInvalid, expiry, MaxPresignExpiry)
	}
	in := &s3.PutObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(key), ContentLength: aws.Int64(size)}
	in.ServerSideEncryption, in.SSEKMSKeyId = s.sse()
	now := s.now()
	req, err := s3.NewPresignClient(s.S3).PresignPutObject(ctx, in, s3.WithPresignExpires(expiry),
		withoutChecksum)
	if err != nil {
		return Upload{}, fmt.Errorf("pages: presign upload of %s: %w", key, err)
	}
	h := req.SignedHeader.Clone()
	h.Del("Host")
	return Upload{URL: req.URL, Method: req.Method, Header: h, Key: key, Size: size, ExpiresAt: now.Add(expiry)}, nil
}

// withoutChecksum keeps the SDK from signing a checksum of the (empty)
// presign body, which the real upload could never match.
func withoutChecksum(o *s3.PresignOptions) {
	o.ClientOptions = append(o.ClientOptions, func(co *s3.Options) {
		co.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
	})
}

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}
