package mangopaytest_test

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay/mangopaytest"
)

// document creates, fills and submits a document.
func (a *api) document(user, typ, tag string) string {
	a.t.Helper()
	d := a.must(200, "POST", "/users/"+user+"/kyc/documents", obj{"Type": typ, "Tag": tag})
	id := str(d["Id"])
	a.must(204, "POST", "/users/"+user+"/kyc/documents/"+id+"/pages", obj{"File": pdf(40 << 10)})
	a.must(200, "PUT", "/users/"+user+"/kyc/documents/"+id, obj{"Status": "VALIDATION_ASKED"})
	return id
}

func TestKYCOutcomesByTag(t *testing.T) {
	a := newAPI(t)
	u := a.owner()
	for tag, want := range map[string][2]any{
		"accept": {"VALIDATED", nil}, "": {"VALIDATED", nil}, "whatever": {"VALIDATED", nil},
		"refuse_unreadable": {"REFUSED", "DOCUMENT_UNREADABLE"}, "refuse_not_accepted": {"REFUSED", "DOCUMENT_NOT_ACCEPTED"},
		"refuse_expired": {"REFUSED", "DOCUMENT_HAS_EXPIRED"}, "refuse_incomplete": {"REFUSED", "DOCUMENT_INCOMPLETE"},
		"refuse_missing": {"REFUSED", "DOCUMENT_MISSING"}, "refuse_no_user_data_match": {"REFUSED", "DOCUMENT_DO_NOT_MATCH_USER_DATA"},
		"refuse_falsified": {"REFUSED", "DOCUMENT_FALSIFIED"}, "refuse_underage": {"REFUSED", "UNDERAGE_PERSON"},
		"refuse_specific_case": {"REFUSED", "SPECIFIC_CASE"},
	} {
		id := a.document(u, "ADDRESS_PROOF", tag)
		if d := a.must(200, "GET", "/kyc/documents/"+id, nil); d["Status"] != "VALIDATION_ASKED" {
			t.Fatalf("submitted: %v", d)
		}
		if err := a.s.SettleDocument(id); err != nil {
			t.Fatal(err)
		}
		d := a.must(200, "GET", "/kyc/documents/"+id, nil)
		if d["Status"] != want[0] || d["RefusedReasonType"] != want[1] || d["ProcessedDate"] == nil {
			t.Errorf("tag %q: %v %v, want %v", tag, d["Status"], d["RefusedReasonType"], want)
		}
	}
	if user := a.must(200, "GET", "/users/"+u, nil); user["KYCLevel"] != "LIGHT" || user["ProofOfAddress"] == nil {
		t.Errorf("address proofs alone: %v", user)
	}
	id := a.document(u, "IDENTITY_PROOF", "accept")
	if n := a.s.SettleAllDocuments(); n != 1 {
		t.Errorf("SettleAllDocuments = %d", n)
	}
	user := a.must(200, "GET", "/users/"+u, nil)
	if user["KYCLevel"] != "REGULAR" || user["ProofOfIdentity"] != id {
		t.Errorf("after a validated identity proof: %v", user)
	}
	if l, _ := a.list("/users/" + u + "/kyc/documents?Status=REFUSED&per_page=100"); len(l) != 9 {
		t.Errorf("refused documents: %d", len(l))
	}
	if l, _ := a.list("/kyc/documents?Type=IDENTITY_PROOF"); len(l) != 1 {
		t.Errorf("identity documents: %d", len(l))
	}
}

func TestKYCLegalAndDelay(t *testing.T) {
	a := newAPI(t, mangopaytest.WithKYCReviewDelay(24*time.Hour))
	legal := a.must(200, "POST", "/users/legal", obj{"UserCategory": "OWNER", "TermsAndConditionsAccepted": true,
		"LegalPersonType": "BUSINESS", "Name": "ACME", "Email": "acme@example.com", "HeadquartersAddress": addr,
		"CompanyNumber": "1", "LegalRepresentativeFirstName": "A", "LegalRepresentativeLastName": "B",
		"LegalRepresentativeBirthday": 0, "LegalRepresentativeNationality": "FR", "LegalRepresentativeCountryOfResidence": "FR"})
	u := str(legal["Id"])
	a.apiErr(400, "param_error", "POST", "/users/"+u+"/kyc/documents", obj{"Type": "ADDRESS_PROOF"}, "Type")
	for _, typ := range []string{"IDENTITY_PROOF", "REGISTRATION_PROOF"} {
		a.document(u, typ, "accept")
	}
	a.advance(24 * time.Hour)
	if got := a.must(200, "GET", "/users/"+u, nil); got["KYCLevel"] != "LIGHT" || got["ProofOfRegistration"] == nil {
		t.Errorf("BUSINESS without articles: %v", got)
	}
	a.document(u, "ARTICLES_OF_ASSOCIATION", "accept")
	a.advance(23 * time.Hour)
	if got := a.must(200, "GET", "/users/"+u, nil); got["KYCLevel"] != "LIGHT" {
		t.Errorf("before the review delay: %v", got["KYCLevel"])
	}
	a.advance(time.Hour)
	if got := a.must(200, "GET", "/users/"+u, nil); got["KYCLevel"] != "REGULAR" || got["Statute"] == nil {
		t.Errorf("after the review: %v", got)
	}
}

func TestKYCPages(t *testing.T) {
	a := newAPI(t)
	u := a.owner()
	d := a.must(200, "POST", "/users/"+u+"/KYC/documents", obj{"Type": "IDENTITY_PROOF"})
	path := "/users/" + u + "/KYC/documents/" + str(d["Id"])
	a.apiErr(400, "invalid_action", "PUT", path, obj{"Status": "VALIDATION_ASKED"})
	a.apiErr(400, "param_error", "PUT", path, obj{"Status": "VALIDATED"}, "Status")
	png := func(n int) string {
		b := make([]byte, n)
		copy(b, "\x89PNG\r\n")
		return base64.StdEncoding.EncodeToString(b)
	}
	for _, tc := range []struct {
		name, file string
		status     int
		typ        string
	}{
		{"bad base64", "not base64!", 400, "param_error"},
		{"too small for an identity proof", pdf(20 << 10), 400, "param_error"},
		{"not PDF/JPEG/PNG", base64.StdEncoding.EncodeToString(make([]byte, 40<<10)), 415, ""},
		{"too large", pdf(7<<20 + 1), 413, ""},
		{"png", png(33 << 10), 204, ""},
		{"jpeg", base64.StdEncoding.EncodeToString(append([]byte{0xFF, 0xD8, 0xFF}, make([]byte, 33<<10)...)), 204, ""},
	} {
		resp, b := a.call("POST", path+"/pages", obj{"File": tc.file})
		if resp.StatusCode != tc.status || (tc.typ != "" && !strings.Contains(string(b), tc.typ)) {
			t.Errorf("%s: %d %s", tc.name, resp.StatusCode, b)
		}
		if tc.status == 204 && len(b) != 0 {
			t.Errorf("%s: 204 with a body %q", tc.name, b)
		}
	}
	for range 3 {
		a.must(204, "POST", path+"/pages", obj{"File": pdf(32 << 10)})
	}
	a.apiErr(400, "max_page_number", "POST", path+"/pages", obj{"File": pdf(32 << 10)})
	if n := a.s.Count("pages"); n != 5 {
		t.Errorf("Count(pages) = %d", n)
	}
	a.must(200, "PUT", path, obj{"Status": "VALIDATION_ASKED"})
	a.apiErr(400, "invalid_action", "POST", path+"/pages", obj{"File": pdf(32 << 10)})
	a.apiErr(404, "ressource_not_found", "GET", "/users/"+a.owner()+"/kyc/documents/"+str(d["Id"]), nil)
}
