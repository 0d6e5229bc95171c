package operations

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/validate"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/pages"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// AddPageInput is POST /documents/{document_id}/pages: either the page's
// bytes in base64 (file; up to what fits a Lambda payload, about 4 MB of
// file), or upload to get a presigned PUT for a larger file.
type AddPageInput struct {
	DocumentID string `json:"document_id"`
	// File is the page's bytes in standard base64: a PDF, JPEG or PNG file
	// (judged from the bytes), within the size limits of the document type.
	File string `json:"file,omitempty"`
	// Upload asks for a presigned PUT instead (HTTP only).
	Upload *PageUploadRequest `json:"upload,omitempty"`

	data []byte // File decoded
}

// PageUploadRequest describes a file to upload through a presigned URL.
type PageUploadRequest struct {
	// Size is the file's exact size in bytes.
	Size int64 `json:"size"`
}

// Validate checks the fields and decodes the file.
func (in *AddPageInput) Validate(v *validate.Errors) {
	checkID(v, "document_id", in.DocumentID, records.KindDocument)
	switch {
	case in.File != "" && in.Upload != nil:
		v.Add("upload", "give either file (the page's bytes in base64) or upload (for a presigned URL), not both")
	case in.File == "" && in.Upload == nil:
		v.Add("file", "is required: the page's bytes in base64 (a PDF, JPEG or PNG file); for a file too large for a request, give upload {\"size\": bytes} instead")
	case in.Upload != nil:
		v.Check(in.Upload.Size > 0 && in.Upload.Size <= pages.MaxSize, "upload.size",
			fmt.Sprintf("must be the file's size in bytes, 1 to %d", pages.MaxSize))
	default:
		data, err := base64.StdEncoding.DecodeString(in.File)
		if !v.Check(err == nil, "file", "must be the file's bytes in standard base64 (RFC 4648, with padding)") {
			return
		}
		// What no document type accepts is refused before anything is
		// written; the type's minimum size is checked with the document.
		if _, ok := pages.Sniff(data); !ok {
			v.Add("file", "must be a PDF, JPEG or PNG file (judged from its bytes, not its name)")
			return
		}
		if v.Check(len(data) <= pages.MaxSize, "file", fmt.Sprintf("must be at most %d bytes: compress it or split it into several pages", pages.MaxSize)) {
			in.data = data
		}
	}
}

// PageUploadAnswer is add-page's answer to an upload request: the page
// record (AWAITING_UPLOAD) and how to upload its bytes. Upload is absent
// when the page was already received (a replay after the upload).
type PageUploadAnswer struct {
	Page   *records.Record `json:"page"`
	Upload *PageUpload     `json:"upload,omitempty"`
}

// PageUpload is a presigned PUT: send exactly Size bytes to URL with
// Method and every header in Headers, before ExpiresAt. Once S3 has the
// file, add-page checks it and sends it to Mangopay by itself; read the
// page (or its document) to follow it.
type PageUpload struct {
	Method    string            `json:"method"`
	URL       string            `json:"url"`
	Headers   map[string]string `json:"headers"`
	Size      int64             `json:"size"`
	ExpiresAt time.Time         `json:"expires_at"`
}

// AddPage adds one page to a CREATED document. The page record is
// written first (its id is the request's record id, its number the next
// of the document), then the bytes go to S3 (STORED) and to Mangopay
// (SENT). A retry of the same request continues from the page's state and
// never sends it twice. With upload, it answers a presigned PUT instead:
// AddPageFromS3 finishes the page when the file arrives.
//
// Prefer: respond-async is not honoured: the page's bytes could not ride
// on the queue, so the answer comes once the page is sent.
func (s *Service) AddPage(ctx context.Context, in *AddPageInput, call api.Call) (api.Result, error) {
	doc, err := s.synced(ctx, in.DocumentID, records.KindDocument)
	if err != nil {
		return api.Result{}, err
	}
	page, err := s.requestPage(ctx, call.RecordID, doc)
	if err != nil {
		return api.Result{}, err
	}
	if page == nil {
		if page, err = s.newPage(ctx, doc, in, call); err != nil {
			return api.Result{}, err
		}
	}
	if in.Upload != nil {
		return s.presignPage(ctx, doc, page)
	}
	userMP := ""
	if page.Page.State != records.PageSent {
		if userMP, err = s.documentUser(ctx, doc); err != nil {
			return api.Result{}, err
		}
	}
	if page, err = s.storeAndSendPage(ctx, doc, page, in.data, userMP, "file"); err != nil {
		return api.Result{}, err
	}
	return api.Created(page), nil
}

// requestPage returns the page an earlier attempt of this request wrote,
// or nil.
func (s *Service) requestPage(ctx context.Context, id string, doc *records.Record) (*records.Record, error) {
	if id == "" {
		return nil, nil
	}
	page, err := s.Records.Get(ctx, id)
	switch {
	case errors.Is(err, records.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, err
	case page.Kind != records.KindPage || page.Page == nil || page.ParentID != doc.ID:
		return nil, api.Conflict(fmt.Sprintf("record %s already exists and is not a page of document %s", id, doc.ID))
	}
	return page, nil
}

// newPage checks a new page, takes the document's next page number and
// writes the page record (AWAITING_UPLOAD). Nothing is written when the
// page is refused.
func (s *Service) newPage(ctx context.Context, doc *records.Record, in *AddPageInput, call api.Call) (*records.Record, error) {
	if doc.Status != mangopay.KYCStatusCreated {
		return nil, documentNotCreated(doc)
	}
	docType := docTypeOf(doc)
	next := docPageCount(doc) + 1
	field := "file"
	size := int64(len(in.data))
	if in.Upload != nil {
		field, size = "upload", in.Upload.Size
		if call.Source == "sqs" {
			return nil, api.InvalidField("upload", "a presigned upload can only be asked for over HTTP (its answer carries the URL); send the page's bytes in file")
		}
		if err := pages.CheckSize(docType, size); err != nil {
			return nil, pageRefusal("upload.size", err)
		}
		if err := pages.CheckNumber(next); err != nil {
			return nil, pageRefusal(field, err)
		}
	} else if err := checkPageBytes(field, docType, next, in.data); err != nil {
		return nil, err
	}
	n, err := s.takePageNumber(ctx, doc, field)
	if err != nil {
		return nil, err
	}
	draft, err := pageDraft(doc, call.RecordID, n, size)
	var page *records.Record
	if err == nil {
		page, err = s.createPageRecord(ctx, draft)
	}
	if err != nil || page.Page == nil || page.Page.Number != n {
		// Nothing took n (or another attempt of the request wrote the page
		// first, with its own number).
		s.givePageNumberBack(ctx, doc.ID, n)
	}
	return page, err
}

// notCreated is the answer when pages are added to a submitted document.
func documentNotCreated(doc *records.Record) error {
	return api.Conflict(fmt.Sprintf("document %s is %s: pages can only be added to a document in CREATED status; create a new document", doc.ID, doc.Status))
}

func docTypeOf(doc *records.Record) string {
	if doc.Document == nil {
		return ""
	}
	return doc.Document.Type
}

func docPageCount(doc *records.Record) int {
	if doc.Document == nil {
		return 0
	}
	return doc.Document.PageCount
}

// takePageNumber hands out the document's next page number (1 to
// pages.MaxPages) with a conditional write, so concurrent pages never
// share a number (or an S3 key).
func (s *Service) takePageNumber(ctx context.Context, doc *records.Record, field string) (int, error) {
	n := 0
	_, err := s.Records.UpdateFrom(ctx, doc, func(r *records.Record) error {
		if r.Status != mangopay.KYCStatusCreated {
			return documentNotCreated(r)
		}
		if r.Document == nil {
			r.Document = &records.Document{}
		}
		if err := pages.CheckNumber(r.Document.PageCount + 1); err != nil {
			return pageRefusal(field, err)
		}
		r.Document.PageCount++
		n = r.Document.PageCount
		return nil
	})
	return n, err
}

// givePageNumberBack returns page number n when no page record took it
// and no later number was handed out (best effort: a number lost here
// only leaves a gap).
func (s *Service) givePageNumberBack(ctx context.Context, docID string, n int) {
	_, _ = s.Records.Update(ctx, docID, func(r *records.Record) error {
		if r.Document == nil || r.Document.PageCount != n {
			return records.ErrNoChange
		}
		r.Document.PageCount--
		return nil
	})
}

// pageDraft is the record of page n of doc, before its bytes are stored.
func pageDraft(doc *records.Record, id string, n int, size int64) (*records.Record, error) {
	key, err := pages.Key(doc.ID, n)
	if err != nil {
		return nil, err
	}
	return &records.Record{ID: id, Kind: records.KindPage, OwnerRef: doc.OwnerRef, ParentID: doc.ID,
		Page: &records.Page{Number: n, S3Key: key, Size: size, State: records.PageAwaitingUpload}}, nil
}

// createOrGet writes a new PENDING record under draft.ID, with the
// re-check time of a record cut short, or returns the one already there.
func (s *Service) createPageRecord(ctx context.Context, draft *records.Record) (*records.Record, error) {
	draft.SyncState = records.SyncPending
	due := s.now().Add(s.pendingRecheck())
	draft.RecheckAt = &due
	err := s.Records.Create(ctx, draft)
	if errors.Is(err, records.ErrExists) {
		return s.Records.Get(ctx, draft.ID)
	}
	if err != nil {
		return nil, fmt.Errorf("writing the %s record: %w", draft.Kind, err)
	}
	return draft, nil
}

// storeAndSendPage moves a page on from its state: its bytes to S3, then
// to Mangopay. data may be nil for a STORED page (read back from S3).
func (s *Service) storeAndSendPage(ctx context.Context, doc, page *records.Record, data []byte, userMP, field string) (*records.Record, error) {
	if page.SyncState == records.SyncFailed {
		return nil, refused(page)
	}
	var err error
	if page.Page.State == records.PageAwaitingUpload {
		if page, err = s.storePage(ctx, doc, page, data, field); err != nil {
			return nil, err
		}
	}
	if page.Page.State == records.PageStored {
		return s.sendPage(ctx, doc, page, data, userMP)
	}
	return page, nil
}

// storePage checks a page's bytes and stores them in S3 (encrypted; S3
// checks the SHA-256), then records the page STORED with its digest, size
// and sniffed type. A refused file fails the page (400 naming field).
func (s *Service) storePage(ctx context.Context, doc, page *records.Record, data []byte, field string) (*records.Record, error) {
	info, err := s.Pages.Put(ctx, doc.ID, page.Page.Number, docTypeOf(doc), data)
	if err != nil {
		if refusal := pageRefusal(field, err); refusal != err {
			return nil, s.failPage(ctx, page, refusal)
		}
		return nil, err
	}
	return s.Records.UpdateFrom(ctx, page, func(r *records.Record) error {
		if r.Page.State != records.PageAwaitingUpload {
			return records.ErrNoChange
		}
		p := r.Page
		p.State, p.S3Key, p.SHA256, p.Size, p.ContentType = records.PageStored, info.Key, info.SHA256, info.Size, info.ContentType
		return nil
	})
}

// failPage records why a page was refused (it will never be sent) and
// returns cause.
func (s *Service) failPage(ctx context.Context, page *records.Record, cause error) error {
	if _, err := s.Records.UpdateFrom(ctx, page, func(r *records.Record) error {
		r.SyncState, r.SyncError = records.SyncFailed, cause.Error()
		return nil
	}); err != nil {
		return fmt.Errorf("%w (and recording the refusal failed: %w)", cause, err)
	}
	return cause
}

// sendPage sends a STORED page to Mangopay with the Idempotency-Key
// derived from its record, so a retry after a lost answer gets the first
// answer back rather than a second page; then records it SENT. The bytes
// are read back from S3 unless data holds them (checked by digest).
func (s *Service) sendPage(ctx context.Context, doc, page *records.Record, data []byte, userMP string) (*records.Record, error) {
	if data == nil || pageDigest(data) != page.Page.SHA256 {
		var err error
		if data, err = s.Pages.Get(ctx, page.Page.S3Key); err != nil {
			return nil, fmt.Errorf("reading page %s back from S3: %w", page.ID, err)
		}
		if pageDigest(data) != page.Page.SHA256 {
			return nil, fmt.Errorf("page %s: the bytes in S3 do not match the recorded SHA-256", page.ID)
		}
	}
	err := s.MP.CreateKYCPage(ctx, userMP, doc.MangopayID, data, mangopay.WithIdempotencyKey(records.IdempotencyKey(page.ID)))
	if err != nil {
		return nil, s.failCreate(ctx, page, err)
	}
	return s.Records.UpdateFrom(ctx, page, func(r *records.Record) error {
		r.Page.State, r.SyncState, r.SyncError = records.PageSent, records.SyncSynced, ""
		return nil
	})
}

func pageDigest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// presignPage answers an upload request: the page and, while its bytes
// are awaited, a presigned PUT.
func (s *Service) presignPage(ctx context.Context, doc, page *records.Record) (api.Result, error) {
	if page.SyncState == records.SyncFailed {
		return api.Result{}, refused(page)
	}
	ans := PageUploadAnswer{Page: page}
	if page.Page.State == records.PageAwaitingUpload {
		up, err := s.presignUpload(ctx, doc, page)
		if err != nil {
			return api.Result{}, err
		}
		ans.Upload = &up
	}
	return api.Created(ans), nil
}

// kycUploadKey is where the presigned upload of a page lands.
func kycUploadKey(docID, pageID string) string {
	return kycUploadPrefix + docID + "/" + pageID
}

// parseUploadKey reads the document and page ids from an upload key.
func parseUploadKey(key string) (docID, pageID string, ok bool) {
	rest, found := strings.CutPrefix(key, kycUploadPrefix)
	if !found {
		return "", "", false
	}
	docID, pageID, found = strings.Cut(rest, "/")
	dk, dok := records.KindOfID(docID)
	pk, pok := records.KindOfID(pageID)
	return docID, pageID, found && dok && pok && dk == records.KindDocument && pk == records.KindPage && !strings.Contains(pageID, "/")
}

// presignUpload signs a PUT of the page's exact size to its upload key,
// with the pages' server-side encryption (like pages.PresignUpload, which
// signs the final key; the upload key keeps the bucket notification off
// the function's own writes). The signature covers Content-Length and
// the encryption headers.
func (s *Service) presignUpload(ctx context.Context, doc, page *records.Record) (PageUpload, error) {
	key := kycUploadKey(doc.ID, page.ID)
	in := &s3.PutObjectInput{Bucket: aws.String(s.Pages.Bucket), Key: aws.String(key), ContentLength: aws.Int64(page.Page.Size)}
	if s.Pages.SSE.KMSKeyID != "" {
		in.ServerSideEncryption, in.SSEKMSKeyId = s3types.ServerSideEncryptionAwsKms, aws.String(s.Pages.SSE.KMSKeyID)
	} else {
		in.ServerSideEncryption = s3types.ServerSideEncryptionAes256
	}
	expiry := pages.DefaultPresignExpiry
	now := s.now()
	req, err := s3.NewPresignClient(s.Pages.S3).PresignPutObject(ctx, in, s3.WithPresignExpires(expiry),
		func(o *s3.PresignOptions) {
			o.ClientOptions = append(o.ClientOptions, func(co *s3.Options) {
				co.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
			})
		})
	if err != nil {
		return PageUpload{}, fmt.Errorf("presigning the upload of page %s: %w", page.ID, err)
	}
	headers := map[string]string{}
	for k, v := range req.SignedHeader {
		if !strings.EqualFold(k, "Host") && len(v) > 0 {
			headers[http.CanonicalHeaderKey(k)] = v[0]
		}
	}
	return PageUpload{Method: req.Method, URL: req.URL, Headers: headers, Size: page.Page.Size, ExpiresAt: now.Add(expiry)}, nil
}

// AddPageFromS3 handles the bucket's notifications of objects created
// under uploads/: each is the presigned upload of a page, which is
// checked (type from the bytes, size limits, the size it was signed for),
// stored under the page's key, removed from uploads/ and sent to Mangopay.
// A refused upload fails its page; a duplicate notification, or one for a
// page already sent, changes nothing. Errors that a retry may fix are
// returned, so Lambda retries the event.
func (s *Service) AddPageFromS3(ctx context.Context, ev events.S3Event) error {
	var errs []error
	for _, rec := range ev.Records {
		if !strings.HasPrefix(rec.EventName, "ObjectCreated:") {
			continue
		}
		key, err := url.QueryUnescape(rec.S3.Object.Key)
		if err == nil && rec.S3.Bucket.Name != s.Pages.Bucket {
			err = fmt.Errorf("object of bucket %q: this function handles the pages bucket %q only", rec.S3.Bucket.Name, s.Pages.Bucket)
		}
		if err == nil {
			err = s.receiveUpload(ctx, key)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", rec.S3.Object.Key, err))
		}
	}
	return errors.Join(errs...)
}

// receiveUpload finishes the page uploaded under key.
func (s *Service) receiveUpload(ctx context.Context, key string) error {
	docID, pageID, ok := parseUploadKey(key)
	if !ok {
		return fmt.Errorf("not a page upload: keys are %s<document id>/<page id>", kycUploadPrefix)
	}
	page, err := s.load(ctx, pageID, records.KindPage)
	if err != nil {
		return err
	}
	if page.ParentID != docID || page.Page == nil {
		return fmt.Errorf("page %s is not a page of document %s", pageID, docID)
	}
	if page.SyncState == records.SyncFailed || page.Page.State == records.PageSent {
		return s.dropUpload(ctx, key) // a new upload for a finished page
	}
	doc, err := s.synced(ctx, docID, records.KindDocument)
	if err != nil {
		return err
	}
	var data []byte
	if page.Page.State == records.PageAwaitingUpload {
		data, err = s.Pages.Get(ctx, key)
		switch {
		case errors.Is(err, pages.ErrNotFound):
			return nil // already moved by a duplicate notification
		case errors.Is(err, pages.ErrTooLarge):
			err = s.failPage(ctx, page, pageRefusal("upload", err))
		case err != nil:
			return err
		case int64(len(data)) != page.Page.Size:
			err = s.failPage(ctx, page, api.InvalidField("upload", "the upload holds %d bytes, it was signed for %d: ask for a new upload", len(data), page.Page.Size))
		default:
			page, err = s.storePage(ctx, doc, page, data, "upload")
		}
		if err != nil {
			if err = retryableUploadErr(err); err != nil {
				return err // keep the upload for the retry
			}
			return s.dropUpload(ctx, key) // refused: the page records why
		}
	}
	if err := s.dropUpload(ctx, key); err != nil {
		return err
	}
	if page.Page.State != records.PageStored {
		return nil
	}
	userMP, err := s.documentUser(ctx, doc)
	if err == nil {
		_, err = s.sendPage(ctx, doc, page, data, userMP)
	}
	return retryableUploadErr(err)
}

// transientOnly drops the errors a retry cannot fix (refusals, already
// recorded on the page), so Lambda retries only what may pass.
func retryableUploadErr(err error) error {
	var e *api.Error
	if err == nil || mangopay.IsValidation(err) || (errors.As(err, &e) && e.Permanent()) {
		return nil
	}
	return err
}

// dropUpload deletes an upload once its page is stored or refused.
func (s *Service) dropUpload(ctx context.Context, key string) error {
	if _, err := s.Pages.S3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.Pages.Bucket), Key: aws.String(key)}); err != nil {
		return fmt.Errorf("deleting the upload %s: %w", key, err)
	}
	return nil
}
