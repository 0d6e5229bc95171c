package operations_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/operations"
	"github.com/lambda-mangopay/lambda-mangopay/internal/testenv"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// kycRequirements reads GET /users/{id}/kyc-requirements.
func kycRequirements(t *testing.T, e *testenv.Env, user *records.Record) operations.KYCRequirements {
	t.Helper()
	h := api.HTTP(e.Deps.Service.GetKYCRequirementsOp(), e.Deps.API)
	resp := call(t, h, testenv.Request("GET", "/users/"+user.ID+"/kyc-requirements", map[string]string{"user_id": user.ID}, nil, nil))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
	}
	var r operations.KYCRequirements
	testenv.Decode(t, resp.Body, &r)
	return r
}

// kycState returns the entry of a document type.
func kycState(t *testing.T, r operations.KYCRequirements, typ string) operations.KYCDocumentRequirement {
	t.Helper()
	for _, d := range r.Documents {
		if d.Type == typ {
			return d
		}
	}
	t.Fatalf("no entry for %s in %+v", typ, r.Documents)
	return operations.KYCDocumentRequirement{}
}

// kycSubmit creates and submits a one-page document.
func kycSubmit(t *testing.T, e *testenv.Env, user *records.Record, typ, tag string) *records.Record {
	t.Helper()
	h := api.HTTP(e.Deps.Service.CreateAndSubmitDocumentOp(), e.Deps.API)
	return record(t, call(t, h, kycSubmissionReq(user, kycSubmission(typ, tag, kycFile(kycPDF, 40<<10, 4)), nil)), http.StatusCreated)
}

func TestKYCRequirementsOfANaturalOwner(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	user := kycOwner(t, e, "ext-req")
	// Another user of the same external id: its documents are not this one's.
	kycSubmit(t, e, kycLegal(t, e, "ext-req", "BUSINESS"), "REGISTRATION_PROOF", "accept")
	r := kycRequirements(t, e, user)
	id := kycState(t, r, "IDENTITY_PROOF")
	if r.KYCLevel != "LIGHT" || r.CanPayOut || r.Complete || r.PersonType != "NATURAL" || !slices.Equal(r.ToUpload, []string{"IDENTITY_PROOF"}) ||
		id.State != operations.KYCMissing || !id.Required || len(r.Documents) != 1 {
		t.Fatalf("before: %+v", r)
	}
	doc := kycSubmit(t, e, user, "IDENTITY_PROOF", "accept")
	r = kycRequirements(t, e, user)
	if id := kycState(t, r, "IDENTITY_PROOF"); id.State != operations.KYCPending || id.DocumentID != doc.ID || len(r.ToUpload) != 0 || r.Complete {
		t.Fatalf("in review: %+v", r)
	}
	if err := e.Fake.SettleDocument(doc.MangopayID); err != nil {
		t.Fatal(err)
	}
	r = kycRequirements(t, e, user)
	if id := kycState(t, r, "IDENTITY_PROOF"); id.State != operations.KYCValidated || r.KYCLevel != "REGULAR" || !r.CanPayOut || !r.Complete {
		t.Fatalf("after validation: %+v", r)
	}
	if stored, _ := e.Deps.Service.Records.Get(e.Ctx, user.ID); stored.User.KYCLevel != "REGULAR" {
		t.Fatal("the refreshed user was not stored")
	}
	if stored, _ := e.Deps.Service.Records.Get(e.Ctx, doc.ID); stored.Status != "VALIDATED" {
		t.Fatal("the refreshed document was not stored")
	}
}

func TestKYCRequirementsAfterARefusal(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	user := kycOwner(t, e, "ext-reup")
	abandoned := kycCreateDocument(t, e, user, "IDENTITY_PROOF", "") // a draft older than the refusal
	refusedDoc := kycSubmit(t, e, user, "IDENTITY_PROOF", "refuse_expired")
	e.Fake.SettleAllDocuments()
	r := kycRequirements(t, e, user)
	id := kycState(t, r, "IDENTITY_PROOF")
	if id.State != operations.KYCReupload || id.DocumentID != refusedDoc.ID || id.DocumentID == abandoned.ID ||
		id.Status != "REFUSED" || id.RefusedReasonType != "DOCUMENT_HAS_EXPIRED" ||
		!slices.Equal(r.ToUpload, []string{"IDENTITY_PROOF"}) || r.CanPayOut {
		t.Fatalf("after a refusal: %+v", r)
	}
	draft := kycCreateDocument(t, e, user, "IDENTITY_PROOF", "accept")
	r = kycRequirements(t, e, user)
	if id := kycState(t, r, "IDENTITY_PROOF"); id.State != operations.KYCNotSubmitted || id.DocumentID != draft.ID || len(r.ToUpload) != 0 {
		t.Fatalf("with a new draft: %+v", r)
	}
	addr := kycSubmit(t, e, user, "ADDRESS_PROOF", "accept")
	r = kycRequirements(t, e, user)
	if a := kycState(t, r, "ADDRESS_PROOF"); a.Required || a.State != operations.KYCPending || a.DocumentID != addr.ID {
		t.Fatalf("optional document: %+v", a)
	}
}

func TestKYCRequirementsOfALegalBusiness(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	user := kycLegal(t, e, "ext-biz", "BUSINESS")
	r := kycRequirements(t, e, user)
	want := []string{"IDENTITY_PROOF", "REGISTRATION_PROOF", "ARTICLES_OF_ASSOCIATION"}
	if !slices.Equal(r.ToUpload, want) || r.PersonType != "LEGAL" || r.LegalPersonType != "BUSINESS" || len(r.Notes) == 0 {
		t.Fatalf("before: %+v", r)
	}
	if ubo := kycState(t, r, "SHAREHOLDER_DECLARATION"); ubo.Required {
		t.Fatalf("the shareholder declaration is informational: %+v", ubo)
	}
	kycSubmit(t, e, user, "IDENTITY_PROOF", "accept")
	kycSubmit(t, e, user, "REGISTRATION_PROOF", "accept")
	kycSubmit(t, e, user, "ARTICLES_OF_ASSOCIATION", "refuse_unreadable")
	e.Fake.SettleAllDocuments()
	r = kycRequirements(t, e, user)
	art := kycState(t, r, "ARTICLES_OF_ASSOCIATION")
	if kycState(t, r, "IDENTITY_PROOF").State != operations.KYCValidated || kycState(t, r, "REGISTRATION_PROOF").State != operations.KYCValidated ||
		art.State != operations.KYCReupload || art.RefusedReasonType != "DOCUMENT_UNREADABLE" ||
		!slices.Equal(r.ToUpload, []string{"ARTICLES_OF_ASSOCIATION"}) || r.KYCLevel != "LIGHT" || r.CanPayOut || r.Complete {
		t.Fatalf("two of three: %+v", r)
	}
	kycSubmit(t, e, user, "ARTICLES_OF_ASSOCIATION", "accept")
	e.Fake.SettleAllDocuments()
	r = kycRequirements(t, e, user)
	if kycState(t, r, "ARTICLES_OF_ASSOCIATION").State != operations.KYCValidated || r.KYCLevel != "REGULAR" || !r.CanPayOut || !r.Complete || len(r.ToUpload) != 0 {
		t.Fatalf("all three: %+v", r)
	}
}
