package operations_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/operations"
	"github.com/lambda-mangopay/lambda-mangopay/internal/testenv"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

func TestCreateDocumentOverHTTP(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	user := kycOwner(t, e, "ext-doc")
	h := api.HTTP(e.Deps.Service.CreateDocumentOp(), e.Deps.API)
	params := map[string]string{"user_id": user.ID}
	key := map[string]string{"Idempotency-Key": "doc-request-0001"}
	resp := call(t, h, testenv.Request("POST", "/users/"+user.ID+"/documents", params, map[string]any{"type": "IDENTITY_PROOF", "tag": "accept"}, key))
	doc := record(t, resp, http.StatusCreated)
	if doc.Kind != records.KindDocument || doc.OwnerRef != "ext-doc" || doc.ParentID != user.ID || doc.MangopayID == "" ||
		doc.Status != "CREATED" || doc.SyncState != records.SyncSynced || doc.Tag != "accept" || doc.RecheckAt != nil {
		t.Fatalf("document record %+v", doc)
	}
	if doc.Document == nil || doc.Document.Type != "IDENTITY_PROOF" || doc.Document.PageCount != 0 {
		t.Fatalf("document part %+v", doc.Document)
	}
	raw, ok := e.Fake.Object("documents", doc.MangopayID)
	if !ok || !containsAll(string(raw), `"UserId":"`+user.MangopayID+`"`, `"Type":"IDENTITY_PROOF"`) {
		t.Fatalf("Mangopay has %s", raw)
	}
	reqs := e.Fake.Requests()
	if last := reqs[len(reqs)-1]; last.IdempotencyKey != records.IdempotencyKey(doc.ID) {
		t.Fatalf("Idempotency-Key %q, want one derived from %s", last.IdempotencyKey, doc.ID)
	}
	again := call(t, h, testenv.Request("POST", "/users/"+user.ID+"/documents", params, map[string]any{"type": "IDENTITY_PROOF", "tag": "accept"}, key))
	if again.StatusCode != http.StatusCreated || again.Body != resp.Body || again.Headers["Idempotent-Replayed"] != "true" {
		t.Fatalf("replay: %d %v %s", again.StatusCode, again.Headers, again.Body)
	}
	if n := e.Fake.Count("documents"); n != 1 {
		t.Fatalf("documents at Mangopay = %d, want 1", n)
	}
	stored, err := e.Deps.Service.Records.Get(e.Ctx, doc.ID)
	if err != nil || stored.MangopayID != doc.MangopayID || len(stored.Raw) == 0 {
		t.Fatalf("stored %+v %v", stored, err)
	}
}

func TestCreateDocumentTypeRulesAreCheckedBeforeMangopay(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	natural := kycOwner(t, e, "ext-n")
	soletrader := kycLegal(t, e, "ext-s", "SOLETRADER")
	business := kycLegal(t, e, "ext-b", "BUSINESS")
	h := api.HTTP(e.Deps.Service.CreateDocumentOp(), e.Deps.API)
	before := len(e.Fake.Requests())
	for _, c := range []struct {
		user *records.Record
		typ  string
	}{
		{natural, "REGISTRATION_PROOF"}, {natural, "ARTICLES_OF_ASSOCIATION"}, {natural, "SHAREHOLDER_DECLARATION"},
		{business, "ADDRESS_PROOF"}, {soletrader, "ADDRESS_PROOF"}, {soletrader, "ARTICLES_OF_ASSOCIATION"},
		{natural, "SELFIE"},
	} {
		req := testenv.Request("POST", "/users/"+c.user.ID+"/documents", map[string]string{"user_id": c.user.ID}, map[string]any{"type": c.typ}, nil)
		wantFields(t, problemFields(t, call(t, h, req), http.StatusBadRequest), "type")
	}
	bad := testenv.Request("POST", "/users/x/documents", map[string]string{"user_id": "wlt_01JZZZZZZZZZZZZZZZZZZZZZZZ"}, map[string]any{"type": "IDENTITY_PROOF"}, nil)
	wantFields(t, problemFields(t, call(t, h, bad), http.StatusBadRequest), "user_id")
	unknown := testenv.Request("POST", "/users/x/documents", map[string]string{"user_id": natural.ID}, map[string]any{"type": "IDENTITY_PROOF", "pages": 1}, nil)
	wantFields(t, problemFields(t, call(t, h, unknown), http.StatusBadRequest), "pages")
	if n := len(e.Fake.Requests()) - before; n != 0 {
		t.Fatalf("%d calls reached Mangopay", n)
	}
	for _, ext := range []string{"ext-n", "ext-s", "ext-b"} {
		if n := countRecords(t, e, ext, records.KindDocument); n != 0 {
			t.Fatalf("%s: %d document records written", ext, n)
		}
	}
	// What the rules allow goes through.
	kycCreateDocument(t, e, natural, "ADDRESS_PROOF", "")
	kycCreateDocument(t, e, soletrader, "REGISTRATION_PROOF", "")
	kycCreateDocument(t, e, business, "ARTICLES_OF_ASSOCIATION", "")
}

func TestCreateDocumentThroughTheQueue(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	user := kycOwner(t, e, "ext-q")
	op := e.Deps.Service.CreateDocumentOp()
	ev := testenv.SQSEvent()
	ev.Records = append(ev.Records,
		testenv.Message("m-good", map[string]any{"user_id": user.ID, "type": "IDENTITY_PROOF"}, nil),
		testenv.Message("m-rule", map[string]any{"user_id": user.ID, "type": "REGISTRATION_PROOF"}, nil),
	)
	// Delivered twice, as SQS may.
	for range 2 {
		out, err := api.SQS(op, e.Deps.API)(e.Ctx, ev)
		if err != nil || len(out.BatchItemFailures) != 0 {
			t.Fatalf("batch: %+v %v", out, err)
		}
	}
	if n := e.Fake.Count("documents"); n != 1 {
		t.Fatalf("documents at Mangopay = %d, want 1", n)
	}
	docs, _, err := e.Deps.Service.Records.ListByOwner(e.Ctx, "ext-q", records.KindDocument, 10, "")
	if err != nil || len(docs) != 1 || docs[0].SyncState != records.SyncSynced || docs[0].ParentID != user.ID {
		t.Fatalf("records %+v %v", docs, err)
	}
	reasons := kycDeadLetters(t, e, "create-document")
	if len(reasons) == 0 || !strings.Contains(reasons[0], "type") {
		t.Fatalf("dead letters %q", reasons)
	}
	// Prefer: respond-async answers 202 and the queue finishes.
	resp := call(t, api.HTTP(op, e.Deps.API), testenv.Request("POST", "/users/"+user.ID+"/documents", map[string]string{"user_id": user.ID},
		map[string]any{"type": "ADDRESS_PROOF"}, map[string]string{"prefer": "respond-async", "idempotency-key": "async-doc-0001"}))
	pending := record(t, resp, http.StatusAccepted)
	msgs := e.Messages(t, e.Queue)
	if pending.SyncState != records.SyncPending || len(msgs) != 1 {
		t.Fatalf("202 %+v, %d queued", pending, len(msgs))
	}
	if out, _ := api.SQS(op, e.Deps.API)(e.Ctx, testenv.SQSEvent(msgs...)); len(out.BatchItemFailures) != 0 {
		t.Fatalf("worker: %+v", out)
	}
	got, _ := e.Deps.Service.Records.Get(e.Ctx, pending.ID)
	if got.SyncState != records.SyncSynced || got.Status != "CREATED" || e.Fake.Count("documents") != 2 {
		t.Fatalf("after the worker %+v, %d documents", got, e.Fake.Count("documents"))
	}
}

func TestSubmitDocumentAndSettleByTag(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	user := kycOwner(t, e, "ext-sub")
	doc := kycCreateDocument(t, e, user, "IDENTITY_PROOF", "accept")
	submit := api.HTTP(e.Deps.Service.SubmitDocumentOp(), e.Deps.API)
	// No page yet: 409, Mangopay not asked.
	before := len(e.Fake.Requests())
	problemFields(t, call(t, submit, kycSubmitReq(doc)), http.StatusConflict)
	if n := len(e.Fake.Requests()) - before; n != 0 {
		t.Fatalf("%d calls reached Mangopay for a document without pages", n)
	}
	kycAddPage(t, e, doc, kycFile(kycJPEG, 40<<10, 1))
	start := time.Now()
	got := record(t, call(t, submit, kycSubmitReq(doc)), http.StatusOK)
	if got.Status != "VALIDATION_ASKED" || got.RecheckAt == nil {
		t.Fatalf("submitted %+v", got)
	}
	if d := got.RecheckAt.Sub(start); d < 59*time.Minute || d > 61*time.Minute {
		t.Fatalf("recheck in %s, want 1h", d)
	}
	due, err := e.Deps.Service.Records.DueForRecheck(e.Ctx, records.BucketDocument, start.Add(2*time.Hour), 10, "")
	if err != nil || len(due.Records) != 1 || due.Records[0].ID != doc.ID {
		t.Fatalf("due for re-check: %+v %v", due.Records, err)
	}
	// Submitting again changes nothing and asks Mangopay nothing.
	before = len(e.Fake.Requests())
	if again := record(t, call(t, submit, kycSubmitReq(doc)), http.StatusOK); again.Version != got.Version {
		t.Fatalf("second submit changed the record: %+v", again)
	}
	if n := len(e.Fake.Requests()) - before; n != 0 {
		t.Fatalf("second submit made %d Mangopay calls", n)
	}
	if err := e.Fake.SettleDocument(doc.MangopayID); err != nil {
		t.Fatal(err)
	}
	if plain := kycGetDocument(t, e, doc, false); plain.Status != "VALIDATION_ASKED" {
		t.Fatalf("a plain GET should answer from the record, got %s", plain.Status)
	}
	fresh := kycGetDocument(t, e, doc, true)
	if fresh.Status != "VALIDATED" || fresh.Document.ProcessedAt == nil || fresh.RecheckAt != nil || fresh.Document.RefusedReasonType != "" {
		t.Fatalf("refreshed %+v %+v", fresh, fresh.Document)
	}
	if stored, _ := e.Deps.Service.Records.Get(e.Ctx, doc.ID); stored.Status != "VALIDATED" {
		t.Fatal("the refresh was not stored")
	}
	problemFields(t, call(t, submit, kycSubmitReq(doc)), http.StatusConflict)
}

func TestSubmitThroughTheQueueAndRefusal(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	user := kycOwner(t, e, "ext-ref")
	doc := kycCreateDocument(t, e, user, "IDENTITY_PROOF", "refuse_unreadable")
	kycAddPage(t, e, doc, kycFile(kycPDF, 40<<10, 2))
	empty := kycCreateDocument(t, e, user, "ADDRESS_PROOF", "")
	ev := testenv.SQSEvent()
	ev.Records = append(ev.Records,
		testenv.Message("m-submit", map[string]any{"document_id": doc.ID}, nil),
		testenv.Message("m-empty", map[string]any{"document_id": empty.ID}, nil),
	)
	out, err := api.SQS(e.Deps.Service.SubmitDocumentOp(), e.Deps.API)(e.Ctx, ev)
	if err != nil || len(out.BatchItemFailures) != 0 {
		t.Fatalf("batch: %+v %v", out, err)
	}
	if reasons := kycDeadLetters(t, e, "submit-document"); len(reasons) != 1 || !strings.Contains(reasons[0], "no page") {
		t.Fatalf("dead letters %q", reasons)
	}
	if n := e.Fake.SettleAllDocuments(); n != 1 {
		t.Fatalf("%d documents in review, want 1", n)
	}
	fresh := kycGetDocument(t, e, doc, true)
	if fresh.Status != "REFUSED" || fresh.Document.RefusedReasonType != "DOCUMENT_UNREADABLE" || fresh.RecheckAt != nil {
		t.Fatalf("refused document %+v %+v", fresh, fresh.Document)
	}
	// A refused document takes no new page.
	h := api.HTTP(e.Deps.Service.AddPageOp(), e.Deps.API)
	problemFields(t, call(t, h, kycAddPageReq(doc, map[string]any{"file": kycB64(kycFile(kycPDF, 40<<10, 3))}, nil)), http.StatusConflict)
	missing := testenv.Request("GET", "/documents/doc_01JZZZZZZZZZZZZZZZZZZZZZZZ", map[string]string{"document_id": "doc_01JZZZZZZZZZZZZZZZZZZZZZZZ"}, nil, nil)
	problemFields(t, call(t, api.HTTP(e.Deps.Service.GetDocumentOp(), e.Deps.API), missing), http.StatusNotFound)
}

// A document is not submitted while one of its pages still waits for its
// upload (409, Mangopay not asked): it would go to review without that
// page. Once the re-check has failed the page whose bytes never arrived,
// the document can be submitted with the pages it has.
func TestSubmitWaitsForPagesStillUploading(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	svc := e.Deps.Service
	user := kycOwner(t, e, "ext-wait")
	doc := kycCreateDocument(t, e, user, "IDENTITY_PROOF", "accept")
	submit := api.HTTP(svc.SubmitDocumentOp(), e.Deps.API)
	kycAddPage(t, e, doc, kycFile(kycJPEG, 40<<10, 1))
	var ans operations.PageUploadAnswer
	resp := call(t, api.HTTP(svc.AddPageOp(), e.Deps.API), kycAddPageReq(doc, map[string]any{"upload": map[string]any{"size": 50 << 10}}, nil))
	testenv.Decode(t, resp.Body, &ans)
	if ans.Page == nil || ans.Upload == nil {
		t.Fatalf("presign: %d %s", resp.StatusCode, resp.Body)
	}
	before := len(e.Fake.Requests())
	problemFields(t, call(t, submit, kycSubmitReq(doc)), http.StatusConflict)
	if n := len(e.Fake.Requests()) - before; n != 0 {
		t.Fatalf("%d calls reached Mangopay for a document with a page still uploading", n)
	}
	late := time.Now().Add(operations.PageUploadDeadline + time.Hour)
	svc.Now = func() time.Time { return late }
	if p, err := svc.RecheckPage(e.Ctx, ans.Page.ID); err != nil || p.SyncState != records.SyncFailed {
		t.Fatalf("abandoned page: %+v %v", p, err)
	}
	if got := record(t, call(t, submit, kycSubmitReq(doc)), http.StatusOK); got.Status != "VALIDATION_ASKED" {
		t.Fatalf("submitted %+v", got)
	}
}
