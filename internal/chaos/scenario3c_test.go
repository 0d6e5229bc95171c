package chaos_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/chaos"
	"github.com/lambda-mangopay/lambda-mangopay/internal/operations"
	"github.com/lambda-mangopay/lambda-mangopay/internal/testenv"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// TestUploadThatNeverArrives is scenario 3c: for each of N KYC documents
// the client sends page 1 inline and asks for a presigned upload of page
// 2 (POST /documents/{id}/pages {"upload":{"size":N}}), then never PUTs
// its bytes, so S3 never notifies add-page. The document is not submitted
// while that page waits (409, Mangopay not asked); the re-check keeps the
// page waiting, then fails it once PageUploadDeadline has passed (the
// stack's clock is advanced); Mangopay never receives anything for it,
// and the document can then be submitted with the page it has.
func TestUploadThatNeverArrives(t *testing.T) {
	n := size(2, 30)
	s := newStack(t)
	w := newWorld(t, s, 0, 0)
	d := s.d
	call := func(h api.HTTPHandler, req events.APIGatewayV2HTTPRequest, want int) string {
		t.Helper()
		resp, err := h(s.e.Ctx, req)
		if err != nil || resp.StatusCode != want {
			t.Fatalf("%s %s: %v %d %s, want %d", req.RequestContext.HTTP.Method, req.RawPath, err, resp.StatusCode, resp.Body, want)
		}
		return resp.Body
	}
	createDoc, addPage := api.HTTP(d.Service.CreateDocumentOp(), d.API), api.HTTP(d.Service.AddPageOp(), d.API)
	submit := api.HTTP(d.Service.SubmitDocumentOp(), d.API)
	jpeg := append([]byte("\xFF\xD8\xFF\xE0"), bytes.Repeat([]byte{7}, 40<<10)...)
	start := time.Now()
	pagesBefore := s.e.Fake.Count("pages")
	type doc struct{ id, waiting string }
	docs := make([]doc, n)
	refused := 0
	for i := range docs {
		user := w.user(t, fmt.Sprintf("s3c-%d", i), "OWNER")
		var rec records.Record
		testenv.Decode(t, call(createDoc, testenv.Request("POST", "/users/"+user.ID+"/documents", map[string]string{"user_id": user.ID},
			map[string]any{"type": "IDENTITY_PROOF", "tag": "accept"}, nil), http.StatusCreated), &rec)
		pages := map[string]string{"document_id": rec.ID}
		call(addPage, testenv.Request("POST", "/documents/"+rec.ID+"/pages", pages,
			map[string]any{"file": base64.StdEncoding.EncodeToString(jpeg)}, nil), http.StatusCreated)
		var ans operations.PageUploadAnswer
		testenv.Decode(t, call(addPage, testenv.Request("POST", "/documents/"+rec.ID+"/pages", pages,
			map[string]any{"upload": map[string]any{"size": 60 << 10}}, nil), http.StatusCreated), &ans)
		if ans.Page == nil || ans.Upload == nil || ans.Page.Page.State != records.PageAwaitingUpload {
			t.Fatalf("presigned page: %+v", ans)
		}
		docs[i] = doc{rec.ID, ans.Page.ID}
		// The client submits without uploading: refused, Mangopay not asked.
		before := len(s.e.Fake.Requests())
		body := call(submit, testenv.Request("POST", "/documents/"+rec.ID+"/submit", pages, nil, nil), http.StatusConflict)
		if !strings.Contains(body, "not yet sent") || len(s.e.Fake.Requests()) != before {
			t.Fatalf("submit with a page awaiting its upload: %s; %d Mangopay calls", body, len(s.e.Fake.Requests())-before)
		}
		refused++
	}
	// The re-check within the deadline keeps each page waiting (its URL
	// expired, the client may ask for a new one); past it, fails it.
	s.clock.Advance(time.Hour)
	for _, dc := range docs {
		p, err := d.Service.RecheckPage(s.e.Ctx, dc.waiting)
		if err != nil || p.SyncState != records.SyncPending || p.Page.State != records.PageAwaitingUpload {
			t.Fatalf("page %s after 1 h: %+v %v", dc.waiting, p, err)
		}
	}
	s.clock.Advance(operations.PageUploadDeadline)
	failed := 0
	for _, dc := range docs {
		p, err := d.Service.RecheckPage(s.e.Ctx, dc.waiting)
		if err != nil || p.SyncState != records.SyncFailed || !strings.Contains(p.SyncError, "never arrived") || p.RecheckAt != nil {
			t.Fatalf("page %s past the deadline: %+v %v", dc.waiting, p, err)
		}
		failed++
	}
	submitted := 0
	for _, dc := range docs {
		var rec records.Record
		testenv.Decode(t, call(submit, testenv.Request("POST", "/documents/"+dc.id+"/submit", map[string]string{"document_id": dc.id}, nil, nil), http.StatusOK), &rec)
		if rec.Status != "VALIDATION_ASKED" {
			t.Fatalf("submitted %+v", rec)
		}
		submitted++
	}
	sent := s.e.Fake.Count("pages") - pagesBefore
	if sent != n {
		t.Errorf("Mangopay received %d pages, want %d (page 1 of each document, nothing for the pages never uploaded)", sent, n)
	}
	f := &chaos.Fragment{Title: "3c. AWS faults: an S3 page upload that never arrives",
		Summary: fmt.Sprintf("%d KYC documents, each with page 1 sent inline and page 2 requested as a presigned S3 upload "+
			"(POST /documents/{id}/pages {\"upload\":{\"size\":61440}}) whose bytes are never PUT, so S3 never notifies add-page. "+
			"The client then asks for validation; the re-check looks at the waiting pages 1 h later and again after "+
			"PageUploadDeadline (%s; the stack's clock is advanced).", n, operations.PageUploadDeadline)}
	f.Add("documents", n)
	f.Add("pages sent inline / requested by presigned upload / uploads that arrived", fmt.Sprintf("%d / %d / 0", n, n))
	f.Add("submits refused (409) while a page waited for its upload", refused)
	f.Add("pages still waiting after the re-check at 1 h", n)
	f.Add("pages failed by the re-check past the deadline (\"never arrived\")", failed)
	f.Add("documents submitted afterwards with the pages they have", submitted)
	f.Add("pages Mangopay received (all inline pages, none of the missing)", sent)
	f.Add("wall time", time.Since(start).Round(time.Millisecond))
	f.Held = []string{
		"no document was submitted while one of its pages waited for its upload; Mangopay was not called for those submits",
		"the missing page's fate is visible on its record: AWAITING_UPLOAD, then FAILED with the reason, out of the re-check index",
		"nothing was sent to Mangopay for a page whose bytes never arrived",
	}
	f.Notes = []string{"Defect found and fixed: submit used to ask Mangopay for validation as soon as one page was SENT, " +
		"so a document went to review without a page still awaiting its upload " +
		"(operations.TestSubmitWaitsForPagesStillUploading)."}
	writeFragment(t, "32-upload-never-arrives", f)
}
