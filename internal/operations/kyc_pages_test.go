package operations_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/operations"
	"github.com/lambda-mangopay/lambda-mangopay/internal/testenv"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay/mangopaytest"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

func kycSHA(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func TestAddPageStoresThenSends(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	user := kycOwner(t, e, "ext-page")
	doc := kycCreateDocument(t, e, user, "IDENTITY_PROOF", "")
	h := api.HTTP(e.Deps.Service.AddPageOp(), e.Deps.API)
	data := kycFile(kycPDF, 40<<10, 7)
	key := map[string]string{"Idempotency-Key": "page-request-0001"}

	// Mangopay is down: the page is kept in S3 (STORED), not sent.
	e.Fake.InjectFault(mangopaytest.Fault{Method: "POST", Path: "/pages", Status: 503})
	problemFields(t, call(t, h, kycAddPageReq(doc, map[string]any{"file": kycB64(data)}, key)), http.StatusServiceUnavailable)
	pages := kycPages(t, e, doc)
	stored := pages[1]
	if len(pages) != 1 || stored.Page.State != records.PageStored || stored.SyncState != records.SyncPending {
		t.Fatalf("after the outage: %d pages, page 1 %+v", len(pages), stored)
	}
	p := stored.Page
	if p.SHA256 != kycSHA(data) || p.Size != int64(len(data)) || p.ContentType != "application/pdf" ||
		p.S3Key != "documents/"+doc.ID+"/pages/1" || stored.ParentID != doc.ID || stored.OwnerRef != "ext-page" {
		t.Fatalf("page record %+v %+v", stored, p)
	}
	got, sse, ok := kycObject(t, e, p.S3Key)
	if !ok || !bytes.Equal(got, data) || sse != "AES256" {
		t.Fatalf("S3 object: found %v, %d bytes, encryption %q", ok, len(got), sse)
	}
	if n := e.Fake.Count("pages"); n != 0 {
		t.Fatalf("pages at Mangopay = %d", n)
	}

	// The retry sends it, once, with the key derived from the page record.
	e.Fake.ClearFaults()
	resp := call(t, h, kycAddPageReq(doc, map[string]any{"file": kycB64(data)}, key))
	sent := record(t, resp, http.StatusCreated)
	if sent.ID != stored.ID || sent.Page.State != records.PageSent || sent.SyncState != records.SyncSynced || sent.Page.SHA256 != p.SHA256 || sent.RecheckAt != nil {
		t.Fatalf("sent page %+v %+v", sent, sent.Page)
	}
	if n := e.Fake.Count("pages"); n != 1 {
		t.Fatalf("pages at Mangopay = %d, want 1", n)
	}
	for _, r := range kycPagePOSTs(e) {
		if r.IdempotencyKey != records.IdempotencyKey(sent.ID) {
			t.Fatalf("page POST with Idempotency-Key %q, want %q", r.IdempotencyKey, records.IdempotencyKey(sent.ID))
		}
	}
	posts := len(kycPagePOSTs(e))
	again := call(t, h, kycAddPageReq(doc, map[string]any{"file": kycB64(data)}, key))
	if again.Body != resp.Body || again.Headers["Idempotent-Replayed"] != "true" || len(kycPagePOSTs(e)) != posts {
		t.Fatalf("replay: %v %s", again.Headers, again.Body)
	}

	// Through the queue, delivered twice: one page 2.
	png := kycFile(kycPNG, 40<<10, 8)
	ev := testenv.SQSEvent()
	ev.Records = append(ev.Records, testenv.Message("m-page", map[string]any{"document_id": doc.ID, "file": kycB64(png)}, nil))
	for range 2 {
		out, err := api.SQS(e.Deps.Service.AddPageOp(), e.Deps.API)(e.Ctx, ev)
		if err != nil || len(out.BatchItemFailures) != 0 {
			t.Fatalf("queue: %+v %v", out, err)
		}
	}
	pages = kycPages(t, e, doc)
	if len(pages) != 2 || pages[2].Page.State != records.PageSent || pages[2].Page.ContentType != "image/png" || e.Fake.Count("pages") != 2 {
		t.Fatalf("after the queue: %d pages, page 2 %+v, %d at Mangopay", len(pages), pages[2], e.Fake.Count("pages"))
	}
	if d, _ := e.Deps.Service.Records.Get(e.Ctx, doc.ID); d.Document.PageCount != 2 {
		t.Fatalf("document page count %d", d.Document.PageCount)
	}
}

func TestAddPageRejectsBadFilesSendingNothing(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	user := kycOwner(t, e, "ext-bad")
	doc := kycCreateDocument(t, e, user, "IDENTITY_PROOF", "")
	h := api.HTTP(e.Deps.Service.AddPageOp(), e.Deps.API)
	text := []byte(strings.Repeat("scan of my passport.pdf ", 2000))
	html := append([]byte("<html>%PDF-1.7"), kycFile("", 40<<10, 'x')...)
	for _, c := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"text named like a PDF", map[string]any{"file": kycB64(text)}, "file"},
		{"PDF magic not at the start", map[string]any{"file": kycB64(html)}, "file"},
		{"identity proof under 32 KiB", map[string]any{"file": kycB64(kycFile(kycPDF, 10<<10, 1))}, "file"},
		{"not base64", map[string]any{"file": "%%%not base64%%%"}, "file"},
		{"nothing", map[string]any{}, "file"},
		{"both", map[string]any{"file": kycB64(kycFile(kycPDF, 40<<10, 1)), "upload": map[string]any{"size": 40 << 10}}, "upload"},
		{"upload too small", map[string]any{"upload": map[string]any{"size": 1000}}, "upload.size"},
		{"upload too large", map[string]any{"upload": map[string]any{"size": 8_000_000}}, "upload.size"},
	} {
		t.Run(c.name, func(t *testing.T) {
			wantFields(t, problemFields(t, call(t, h, kycAddPageReq(doc, c.body, nil)), http.StatusBadRequest), c.field)
		})
	}
	if n := len(kycPagePOSTs(e)); n != 0 {
		t.Fatalf("%d pages sent to Mangopay", n)
	}
	if pages := kycPages(t, e, doc); len(pages) != 0 {
		t.Fatalf("%d page records written", len(pages))
	}
	if keys := kycObjectKeys(t, e, ""); len(keys) != 0 {
		t.Fatalf("objects stored: %v", keys)
	}
	if d, _ := e.Deps.Service.Records.Get(e.Ctx, doc.ID); d.Document.PageCount != 0 {
		t.Fatalf("refused pages took numbers: %d", d.Document.PageCount)
	}

	// Five pages fit a document; the sixth does not.
	addr := kycCreateDocument(t, e, user, "ADDRESS_PROOF", "")
	for i := range 5 {
		kycAddPage(t, e, addr, kycFile(kycPDF, 2048, byte(i)))
	}
	sixth := call(t, h, kycAddPageReq(addr, map[string]any{"file": kycB64(kycFile(kycPDF, 2048, 9))}, nil))
	wantFields(t, problemFields(t, sixth, http.StatusBadRequest), "file")
	if n, posts := e.Fake.Count("pages"), len(kycPagePOSTs(e)); n != 5 || posts != 5 {
		t.Fatalf("pages at Mangopay %d, POSTs %d, want 5", n, posts)
	}
	if pages := kycPages(t, e, addr); len(pages) != 5 || pages[5] == nil {
		t.Fatalf("page records %v", pages)
	}
}

func TestAddLargePageThroughPresignedUpload(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	user := kycOwner(t, e, "ext-big")
	doc := kycCreateDocument(t, e, user, "IDENTITY_PROOF", "")
	svc := e.Deps.Service
	h := api.HTTP(svc.AddPageOp(), e.Deps.API)
	lambda := api.HandlerWithS3(svc.AddPageOp(), e.Deps.API, svc.AddPageFromS3)
	data := kycFile(kycPNG, 300<<10, 5)

	start := time.Now()
	resp := call(t, h, kycAddPageReq(doc, map[string]any{"upload": map[string]any{"size": len(data)}}, nil))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("presign: %d %s", resp.StatusCode, resp.Body)
	}
	var ans operations.PageUploadAnswer
	testenv.Decode(t, resp.Body, &ans)
	page, up := ans.Page, ans.Upload
	if page == nil || up == nil || page.Page.State != records.PageAwaitingUpload || page.Page.Size != int64(len(data)) || page.Page.Number != 1 {
		t.Fatalf("answer %s", resp.Body)
	}
	if up.Method != http.MethodPut || up.Size != int64(len(data)) || up.Headers["X-Amz-Server-Side-Encryption"] != "AES256" ||
		up.Headers["Content-Length"] != "307200" || up.ExpiresAt.Before(start.Add(4*time.Minute)) || up.ExpiresAt.After(start.Add(6*time.Minute)) {
		t.Fatalf("upload %+v", up)
	}
	kycPut(t, up, data)
	uploads := kycObjectKeys(t, e, "uploads/")
	if len(uploads) != 1 || uploads[0] != "uploads/"+doc.ID+"/"+page.ID || len(kycPagePOSTs(e)) != 0 {
		t.Fatalf("uploads %v, %d page POSTs", uploads, len(kycPagePOSTs(e)))
	}

	// S3 notifies the function, which checks, stores and sends the page.
	ev := testenv.S3Event(e.PagesBucket(), int64(len(data)), uploads[0])
	if _, err := kycInvoke(t, lambda, ev); err != nil {
		t.Fatalf("S3 event: %v", err)
	}
	got, err := svc.Records.Get(e.Ctx, page.ID)
	if err != nil || got.Page.State != records.PageSent || got.SyncState != records.SyncSynced || got.Page.SHA256 != kycSHA(data) ||
		got.Page.ContentType != "image/png" || got.Page.S3Key != "documents/"+doc.ID+"/pages/1" {
		t.Fatalf("page after the upload %+v %v", got.Page, err)
	}
	stored, sse, ok := kycObject(t, e, got.Page.S3Key)
	if !ok || !bytes.Equal(stored, data) || sse != "AES256" {
		t.Fatalf("stored page: %v, %d bytes, encryption %q", ok, len(stored), sse)
	}
	if keys := kycObjectKeys(t, e, "uploads/"); len(keys) != 0 {
		t.Fatalf("upload left behind: %v", keys)
	}
	posts := kycPagePOSTs(e)
	if len(posts) != 1 || posts[0].IdempotencyKey != records.IdempotencyKey(page.ID) || e.Fake.Count("pages") != 1 {
		t.Fatalf("page POSTs %+v", posts)
	}
	// S3 may notify twice: nothing more is sent.
	if _, err := kycInvoke(t, lambda, ev); err != nil || len(kycPagePOSTs(e)) != 1 {
		t.Fatalf("duplicate notification: %v, %d POSTs", err, len(kycPagePOSTs(e)))
	}

	// An upload that is not an image or PDF fails its page and is removed.
	text := []byte(strings.Repeat("definitely not an image ", 2000))
	resp = call(t, h, kycAddPageReq(doc, map[string]any{"upload": map[string]any{"size": len(text)}}, nil))
	testenv.Decode(t, resp.Body, &ans)
	kycPut(t, ans.Upload, text)
	if _, err := kycInvoke(t, lambda, testenv.S3Event(e.PagesBucket(), int64(len(text)), "uploads/"+doc.ID+"/"+ans.Page.ID)); err != nil {
		t.Fatalf("a refused upload should not be retried: %v", err)
	}
	bad, _ := svc.Records.Get(e.Ctx, ans.Page.ID)
	if bad.SyncState != records.SyncFailed || !strings.Contains(bad.SyncError, "PDF, JPEG or PNG") || bad.Page.State != records.PageAwaitingUpload {
		t.Fatalf("refused upload: %+v", bad)
	}
	if keys := kycObjectKeys(t, e, ""); len(keys) != 1 || len(kycPagePOSTs(e)) != 1 {
		t.Fatalf("objects %v, %d POSTs", keys, len(kycPagePOSTs(e)))
	}
	// A good file sent afterwards to the same URL does not revive the page.
	kycPut(t, ans.Upload, kycFile(kycPNG, len(text), 7))
	if _, err := kycInvoke(t, lambda, testenv.S3Event(e.PagesBucket(), int64(len(text)), "uploads/"+doc.ID+"/"+ans.Page.ID)); err != nil {
		t.Fatal(err)
	}
	if again, _ := svc.Records.Get(e.Ctx, ans.Page.ID); again.SyncState != records.SyncFailed || len(kycPagePOSTs(e)) != 1 || len(kycObjectKeys(t, e, "")) != 1 {
		t.Fatalf("a failed page came back: %+v, %d POSTs", again, len(kycPagePOSTs(e)))
	}

	// An upload of another size than the one signed (S3 refuses it; moto
	// does not check) fails its page too.
	resp = call(t, h, kycAddPageReq(doc, map[string]any{"upload": map[string]any{"size": 40 << 10}}, nil))
	testenv.Decode(t, resp.Body, &ans)
	kycPut(t, ans.Upload, kycFile(kycPNG, 50<<10, 6))
	if _, err := kycInvoke(t, lambda, testenv.S3Event(e.PagesBucket(), 50<<10, "uploads/"+doc.ID+"/"+ans.Page.ID)); err != nil {
		t.Fatalf("a refused upload should not be retried: %v", err)
	}
	if bad, _ := svc.Records.Get(e.Ctx, ans.Page.ID); bad.SyncState != records.SyncFailed || !strings.Contains(bad.SyncError, "signed for") {
		t.Fatalf("upload of the wrong size: %+v", bad)
	}
	if keys := kycObjectKeys(t, e, ""); len(keys) != 1 || len(kycPagePOSTs(e)) != 1 {
		t.Fatalf("objects %v, %d POSTs", keys, len(kycPagePOSTs(e)))
	}

	// Events for another bucket are refused; a presigned upload is not for
	// queues (there is no one to give the URL to).
	if _, err := kycInvoke(t, lambda, testenv.S3Event("another-bucket", 10, "uploads/"+doc.ID+"/"+page.ID)); err == nil {
		t.Fatal("an event of another bucket was accepted")
	}
	sqsEv := testenv.SQSEvent()
	sqsEv.Records = append(sqsEv.Records, testenv.Message("m-up", map[string]any{"document_id": doc.ID, "upload": map[string]any{"size": 40 << 10}}, nil))
	out, err := kycInvoke(t, lambda, sqsEv)
	if r, ok := out.(events.SQSEventResponse); err != nil || !ok || len(r.BatchItemFailures) != 0 {
		t.Fatalf("queue: %+v %v", out, err)
	}
	if reasons := kycDeadLetters(t, e, "add-page"); len(reasons) != 1 || !strings.Contains(reasons[0], "upload") {
		t.Fatalf("dead letters %q", reasons)
	}
}

// kycPut uploads body with plain net/http as a browser would, with every
// header the answer gave.
func kycPut(t *testing.T, up *operations.PageUpload, body []byte) {
	t.Helper()
	req, err := http.NewRequest(up.Method, up.URL, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range up.Headers {
		if k != "Content-Length" { // net/http sets it from the body
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("presigned PUT: %s", resp.Status)
	}
}

func TestConcurrentPagesGetDistinctNumbers(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	user := kycOwner(t, e, "ext-race")
	doc := kycCreateDocument(t, e, user, "ADDRESS_PROOF", "")
	h := api.HTTP(e.Deps.Service.AddPageOp(), e.Deps.API)
	codes := make(chan int, 6)
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Go(func() {
			codes <- call(t, h, kycAddPageReq(doc, map[string]any{"file": kycB64(kycFile(kycPDF, 2048, byte(i)))}, nil)).StatusCode
		})
	}
	wg.Wait()
	close(codes)
	count := map[int]int{}
	for c := range codes {
		count[c]++
	}
	if count[http.StatusCreated] != 5 || count[http.StatusBadRequest] != 1 {
		t.Fatalf("answers %v, want 5 × 201 and 1 × 400", count)
	}
	pages := kycPages(t, e, doc) // fails on a number given twice
	for n := 1; n <= 5; n++ {
		if pages[n] == nil || pages[n].Page.State != records.PageSent {
			t.Fatalf("page %d: %+v", n, pages[n])
		}
	}
	if n := e.Fake.Count("pages"); n != 5 {
		t.Fatalf("pages at Mangopay = %d, want 5", n)
	}
}
