package operations_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/operations"
	"github.com/lambda-mangopay/lambda-mangopay/internal/testenv"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay/mangopaytest"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

func TestRecheckDocumentCreatedButNeverAnswered(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	svc := e.Deps.Service
	user := kycOwner(t, e, "ext-rd")
	// Mangopay creates the document but no answer ever comes back.
	e.Fake.InjectFault(mangopaytest.Fault{Method: "POST", Path: "/kyc/documents", DropAfterCommit: true})
	h := api.HTTP(svc.CreateDocumentOp(), e.Deps.API)
	resp := call(t, h, testenv.Request("POST", "/users/"+user.ID+"/documents", map[string]string{"user_id": user.ID}, map[string]any{"type": "IDENTITY_PROOF", "tag": "accept"}, nil))
	problemFields(t, resp, http.StatusServiceUnavailable)
	e.Fake.ClearFaults()
	docs, _, _ := svc.Records.ListByOwner(e.Ctx, "ext-rd", records.KindDocument, 10, "")
	if len(docs) != 1 || docs[0].SyncState != records.SyncPending || e.Fake.Count("documents") != 1 {
		t.Fatalf("after the lost answer: %+v, %d at Mangopay", docs, e.Fake.Count("documents"))
	}
	doc, err := svc.RecheckDocument(e.Ctx, docs[0].ID)
	if err != nil || doc.SyncState != records.SyncSynced || doc.Status != "CREATED" || doc.MangopayID == "" || e.Fake.Count("documents") != 1 {
		t.Fatalf("re-checked: %+v %v; %d at Mangopay", doc, err, e.Fake.Count("documents"))
	}
	// In review: polled again an hour later, then decided.
	kycAddPage(t, e, doc, kycFile(kycPDF, 40<<10, 1))
	record(t, call(t, api.HTTP(svc.SubmitDocumentOp(), e.Deps.API), kycSubmitReq(doc)), http.StatusOK)
	later := time.Now().Add(3 * time.Hour)
	svc.Now = func() time.Time { return later }
	if doc, err = svc.RecheckDocument(e.Ctx, doc.ID); err != nil || doc.Status != "VALIDATION_ASKED" || doc.RecheckAt == nil || doc.RecheckAt.Sub(later) < 59*time.Minute {
		t.Fatalf("still in review: %+v %v", doc, err)
	}
	e.Fake.SettleAllDocuments()
	if doc, err = svc.RecheckDocument(e.Ctx, doc.ID); err != nil || doc.Status != "VALIDATED" || doc.RecheckAt != nil {
		t.Fatalf("decided: %+v %v", doc, err)
	}
}

func TestSubmitRecoversALostAnswer(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	user := kycOwner(t, e, "ext-lost")
	doc := kycCreateDocument(t, e, user, "IDENTITY_PROOF", "")
	kycAddPage(t, e, doc, kycFile(kycPDF, 40<<10, 1))
	submit := api.HTTP(e.Deps.Service.SubmitDocumentOp(), e.Deps.API)
	e.Fake.InjectFault(mangopaytest.Fault{Method: "PUT", Path: "/kyc/documents/", DropAfterCommit: true, Times: 1})
	problemFields(t, call(t, submit, kycSubmitReq(doc)), http.StatusServiceUnavailable)
	if raw, _ := e.Fake.Object("documents", doc.MangopayID); !strings.Contains(string(raw), "VALIDATION_ASKED") {
		t.Fatalf("Mangopay has %s", raw)
	}
	got := record(t, call(t, submit, kycSubmitReq(doc)), http.StatusOK)
	if got.Status != "VALIDATION_ASKED" || got.RecheckAt == nil {
		t.Fatalf("after the retry: %+v", got)
	}
}

func TestRecheckPages(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	svc := e.Deps.Service
	user := kycOwner(t, e, "ext-rp")
	doc := kycCreateDocument(t, e, user, "IDENTITY_PROOF", "")
	h := api.HTTP(svc.AddPageOp(), e.Deps.API)

	// A page stored but not sent (the request, without a key, is not retried).
	e.Fake.InjectFault(mangopaytest.Fault{Method: "POST", Path: "/pages", Status: 503})
	problemFields(t, call(t, h, kycAddPageReq(doc, map[string]any{"file": kycB64(kycFile(kycPDF, 40<<10, 1))}, nil)), http.StatusServiceUnavailable)
	e.Fake.ClearFaults()
	stored := kycPages(t, e, doc)[1]
	if stored.Page.State != records.PageStored || stored.RecheckAt == nil {
		t.Fatalf("stored page %+v", stored)
	}
	for range 2 {
		if p, err := svc.RecheckPage(e.Ctx, stored.ID); err != nil || p.Page.State != records.PageSent {
			t.Fatalf("re-checked page %+v %v", p, err)
		}
	}
	if n := e.Fake.Count("pages"); n != 1 {
		t.Fatalf("pages at Mangopay = %d, want 1", n)
	}

	// An upload whose notification was lost.
	data := kycFile(kycJPEG, 40<<10, 2)
	var ans operations.PageUploadAnswer
	testenv.Decode(t, call(t, h, kycAddPageReq(doc, map[string]any{"upload": map[string]any{"size": len(data)}}, nil)).Body, &ans)
	kycPut(t, ans.Upload, data)
	if p, err := svc.RecheckPage(e.Ctx, ans.Page.ID); err != nil || p.Page.State != records.PageSent || e.Fake.Count("pages") != 2 {
		t.Fatalf("lost notification: %+v %v", p, err)
	}

	// An upload that never comes: looked at again, then failed.
	testenv.Decode(t, call(t, h, kycAddPageReq(doc, map[string]any{"upload": map[string]any{"size": len(data)}}, nil)).Body, &ans)
	soon := time.Now().Add(time.Hour)
	svc.Now = func() time.Time { return soon }
	if p, err := svc.RecheckPage(e.Ctx, ans.Page.ID); err != nil || p.SyncState != records.SyncPending || p.RecheckAt == nil || !p.RecheckAt.After(soon) {
		t.Fatalf("waiting page: %+v %v", p, err)
	}
	late := time.Now().Add(operations.PageUploadDeadline + time.Hour)
	svc.Now = func() time.Time { return late }
	if p, err := svc.RecheckPage(e.Ctx, ans.Page.ID); err != nil || p.SyncState != records.SyncFailed || !strings.Contains(p.SyncError, "never arrived") || p.RecheckAt != nil {
		t.Fatalf("abandoned page: %+v %v", p, err)
	}
}
