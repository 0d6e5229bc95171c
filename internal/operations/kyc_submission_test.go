package operations_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/testenv"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay/mangopaytest"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// kycSubmission is the body of POST /users/{id}/kyc-submissions.
func kycSubmission(typ, tag string, files ...[]byte) map[string]any {
	pages := make([]string, len(files))
	for i, f := range files {
		pages[i] = kycB64(f)
	}
	return map[string]any{"type": typ, "tag": tag, "pages": pages}
}

func kycSubmissionReq(user *records.Record, body any, headers map[string]string) events.APIGatewayV2HTTPRequest {
	return testenv.Request("POST", "/users/"+user.ID+"/kyc-submissions", map[string]string{"user_id": user.ID}, body, headers)
}

// The test: a failure after page 2 of 3, then a retry sends only
// page 3, then the document is submitted.
func TestCreateAndSubmitResumesAfterPage2Of3(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	user := kycOwner(t, e, "ext-cs")
	h := api.HTTP(e.Deps.Service.CreateAndSubmitDocumentOp(), e.Deps.API)
	files := [][]byte{kycFile(kycJPEG, 40<<10, 1), kycFile(kycPDF, 40<<10, 2), kycFile(kycPNG, 40<<10, 3)}
	body := kycSubmission("IDENTITY_PROOF", "accept", files...)
	key := map[string]string{"Idempotency-Key": "kyc-submission-0001"}

	// The first two page uploads pass (a fault without a status changes
	// nothing, it only counts), every later one meets a 503.
	e.Fake.InjectFault(mangopaytest.Fault{Method: "POST", Path: "/pages", Times: 2})
	e.Fake.InjectFault(mangopaytest.Fault{Method: "POST", Path: "/pages", Status: 503})
	problemFields(t, call(t, h, kycSubmissionReq(user, body, key)), http.StatusServiceUnavailable)
	if n, d := e.Fake.Count("pages"), e.Fake.Count("documents"); n != 2 || d != 1 {
		t.Fatalf("after the failure: %d pages, %d documents at Mangopay; want 2 and 1", n, d)
	}
	docs, _, _ := e.Deps.Service.Records.ListByOwner(e.Ctx, "ext-cs", records.KindDocument, 10, "")
	if len(docs) != 1 || docs[0].Status != "CREATED" || docs[0].Document.PageCount != 3 {
		t.Fatalf("document records %+v", docs)
	}
	doc := &docs[0]
	pages := kycPages(t, e, doc)
	if len(pages) != 3 || pages[1].Page.State != records.PageSent || pages[2].Page.State != records.PageSent || pages[3].Page.State != records.PageStored {
		t.Fatalf("page states %v %v %v", pages[1].Page, pages[2].Page, pages[3].Page)
	}
	if _, _, ok := kycObject(t, e, pages[3].Page.S3Key); !ok {
		t.Fatal("page 3 is not in S3")
	}

	// The retry sends page 3 only, then asks for validation.
	e.Fake.ClearFaults()
	mark := len(e.Fake.Requests())
	resp := call(t, h, kycSubmissionReq(user, body, key))
	got := record(t, resp, http.StatusCreated)
	if got.ID != doc.ID || got.Status != "VALIDATION_ASKED" || got.RecheckAt == nil {
		t.Fatalf("answer %+v", got)
	}
	var pagePosts, docPosts, submits int
	for _, r := range e.Fake.Requests()[mark:] {
		switch {
		case r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/pages"):
			pagePosts++
			if r.IdempotencyKey != records.IdempotencyKey(pages[3].ID) {
				t.Fatalf("the retry sent a page with key %q, want page 3's %q", r.IdempotencyKey, records.IdempotencyKey(pages[3].ID))
			}
		case r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/kyc/documents"):
			docPosts++
		case r.Method == http.MethodPut:
			submits++
		}
	}
	if pagePosts != 1 || docPosts != 0 || submits != 1 {
		t.Fatalf("the retry made %d page POSTs, %d document POSTs, %d submits; want 1, 0, 1", pagePosts, docPosts, submits)
	}
	if n := e.Fake.Count("pages"); n != 3 {
		t.Fatalf("pages at Mangopay = %d, want 3", n)
	}
	if p := kycPages(t, e, doc)[3]; p.Page.State != records.PageSent {
		t.Fatalf("page 3 %+v", p.Page)
	}
	mark = len(e.Fake.Requests())
	again := call(t, h, kycSubmissionReq(user, body, key))
	if again.Body != resp.Body || again.Headers["Idempotent-Replayed"] != "true" || len(e.Fake.Requests()) != mark {
		t.Fatalf("replay: %v %s", again.Headers, again.Body)
	}
	if err := e.Fake.SettleDocument(got.MangopayID); err != nil {
		t.Fatal(err)
	}
	if fresh := kycGetDocument(t, e, got, true); fresh.Status != "VALIDATED" {
		t.Fatalf("settled: %s", fresh.Status)
	}
}

func TestCreateAndSubmitRejectsBadPagesWritingNothing(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	user := kycOwner(t, e, "ext-csbad")
	h := api.HTTP(e.Deps.Service.CreateAndSubmitDocumentOp(), e.Deps.API)
	before := len(e.Fake.Requests())
	for _, c := range []struct {
		body   any
		fields []string
	}{
		{kycSubmission("IDENTITY_PROOF", "", kycFile(kycPDF, 40<<10, 1), kycFile(kycPDF, 1<<10, 2)), []string{"pages[1]"}},
		{kycSubmission("IDENTITY_PROOF", "", []byte(strings.Repeat("a text file ", 4000))), []string{"pages[0]"}},
		{kycSubmission("IDENTITY_PROOF", ""), []string{"pages"}},
		{map[string]any{"type": "IDENTITY_PROOF", "pages": make([]string, 6)}, []string{"pages"}},
		{map[string]any{"type": "PASSPORT", "pages": []string{"!!"}}, []string{"type", "pages[0]"}},
		{kycSubmission("REGISTRATION_PROOF", "", kycFile(kycPDF, 2<<10, 1)), []string{"type"}},
	} {
		wantFields(t, problemFields(t, call(t, h, kycSubmissionReq(user, c.body, nil)), http.StatusBadRequest), c.fields...)
	}
	if n := len(e.Fake.Requests()) - before; n != 0 {
		t.Fatalf("%d calls reached Mangopay", n)
	}
	if n := countRecords(t, e, "ext-csbad", records.KindDocument); n != 0 {
		t.Fatalf("%d document records written", n)
	}
	if keys := kycObjectKeys(t, e, ""); len(keys) != 0 {
		t.Fatalf("objects stored: %v", keys)
	}
}

func TestCreateAndSubmitThroughTheQueue(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	user := kycOwner(t, e, "ext-csq")
	h := api.SQS(e.Deps.Service.CreateAndSubmitDocumentOp(), e.Deps.API)
	good := kycSubmission("IDENTITY_PROOF", "accept", kycFile(kycPDF, 40<<10, 1), kycFile(kycPDF, 40<<10, 2))
	good["user_id"] = user.ID
	ev := testenv.SQSEvent()
	ev.Records = append(ev.Records,
		testenv.Message("m-good", good, nil),
		testenv.Message("m-bad", map[string]any{"user_id": user.ID, "type": "IDENTITY_PROOF", "pages": []string{"not base64"}}, nil),
	)
	// The first delivery fails when asking for validation: the message is
	// retried, the bad one dead-lettered at once.
	e.Fake.InjectFault(mangopaytest.Fault{Method: "PUT", Path: "/kyc/documents/", Status: 503})
	out, err := h(e.Ctx, ev)
	if err != nil || len(out.BatchItemFailures) != 1 || out.BatchItemFailures[0].ItemIdentifier != "m-good" {
		t.Fatalf("first delivery: %+v %v", out, err)
	}
	if reasons := kycDeadLetters(t, e, "create-and-submit-document"); len(reasons) != 1 || !strings.Contains(reasons[0], "pages[0]") {
		t.Fatalf("dead letters %q", reasons)
	}
	e.Fake.ClearFaults()
	redelivery := testenv.SQSEvent()
	redelivery.Records = ev.Records[:1]
	for range 2 {
		if out, err := h(e.Ctx, redelivery); err != nil || len(out.BatchItemFailures) != 0 {
			t.Fatalf("redelivery: %+v %v", out, err)
		}
	}
	if n, d, p := e.Fake.Count("documents"), e.Fake.Count("pages"), len(kycPagePOSTs(e)); n != 1 || d != 2 || p != 2 {
		t.Fatalf("%d documents, %d pages, %d page POSTs at Mangopay; want 1, 2, 2", n, d, p)
	}
	docs, _, _ := e.Deps.Service.Records.ListByOwner(e.Ctx, "ext-csq", records.KindDocument, 10, "")
	if len(docs) != 1 || docs[0].Status != "VALIDATION_ASKED" {
		t.Fatalf("documents %+v", docs)
	}
}
