package mangopaytest_test

import (
	"strings"
	"testing"
)

func TestRoutingIsCaseInsensitiveAndTolerant(t *testing.T) {
	a := newAPI(t)
	owner := a.owner()
	doc := a.must(200, "POST", "/users/"+owner+"/KYC/documents/", obj{"Type": "IDENTITY_PROOF"})
	docID := str(doc["Id"])
	for _, path := range []string{
		a.url("/users/" + owner + "/kyc/documents/" + docID),
		a.url("/Users/" + owner + "/KYC/Documents/" + docID + "/"),
		a.s.URL + "/V2.01/" + a.s.ClientID + "/KYC/documents/" + docID,
		a.url("/kyc/documents/" + docID + "?STATUS=CREATED"),
	} {
		resp, b := a.raw("GET", path, nil, "Authorization", "Bearer "+a.token)
		if resp.StatusCode != 200 || !strings.Contains(string(b), docID) {
			t.Errorf("GET %s: %d %s", path, resp.StatusCode, b)
		}
	}
	// Query keys too: STATUS filters like Status.
	if l, _ := a.list("/users/" + owner + "/kyc/documents?STATUS=VALIDATED"); len(l) != 0 {
		t.Errorf("STATUS=VALIDATED filter returned %d documents", len(l))
	}
	// Ids stay case-sensitive.
	a.apiErr(404, "ressource_not_found", "GET", "/users/"+strings.ToLower(owner), nil, "RessourceNotFound")
}

func TestUnknownRouteAndMethod(t *testing.T) {
	a := newAPI(t)
	e := a.apiErr(404, "ressource_not_found", "GET", "/nothing/here", nil, "RessourceNotFound")
	if e["Message"] != "The ressource does not exist" {
		t.Errorf("404 message %v", e["Message"])
	}
	resp, b := a.call("DELETE", "/wallets", nil)
	if resp.StatusCode != 405 {
		t.Errorf("DELETE /wallets: %d %s, want 405", resp.StatusCode, b)
	}
	resp, b = a.raw("GET", a.s.URL+"/somewhere", nil)
	if resp.StatusCode != 404 || !strings.Contains(string(b), "ressource_not_found") {
		t.Errorf("GET /somewhere: %d %s", resp.StatusCode, b)
	}
}

func TestJSONHandling(t *testing.T) {
	a := newAPI(t)
	// Unknown fields are ignored; fields spelled in another case are unknown.
	u := a.must(200, "POST", "/users/natural", obj{"UserCategory": "PAYER", "FirstName": "A", "LastName": "B",
		"Email": "a@example.com", "PersonType": "NATURAL", "Whatever": 1, "occupation": "ignored"})
	if u["Occupation"] != nil {
		t.Errorf("a lower-case occupation was taken as Occupation: %v", u["Occupation"])
	}
	// Every documented field is present, null when unset.
	for _, k := range []string{"Birthday", "Nationality", "CountryOfResidence", "Occupation", "IncomeRange", "ProofOfIdentity",
		"ProofOfAddress", "PhoneNumber", "PhoneNumberCountry", "Tag", "TermsAndConditionsAcceptedDate"} {
		if v, ok := u[k]; !ok || v != nil {
			t.Errorf("%s = %v (present %v), want null", k, v, ok)
		}
	}
	if ad := sub(u, "Address"); ad == nil || ad["City"] != nil {
		t.Errorf("unset Address = %v, want an object of nulls", u["Address"])
	}
	if u["KYCLevel"] != "LIGHT" || u["PersonType"] != "NATURAL" || u["UserStatus"] != "ACTIVE" {
		t.Errorf("defaults: %v", u)
	}
	if id := str(u["Id"]); !strings.HasPrefix(id, "user_m_") || len(id) != len("user_m_")+26 {
		t.Errorf("Id %q is not user_m_ + a 26-character ULID", id)
	}
	// A type error names the field; every bad field is reported at once.
	e := a.apiErr(400, "param_error", "POST", "/users/natural",
		`{"UserCategory":"PAYER","FirstName":5,"LastName":"B","Email":"bad","IncomeRange":"x"}`, "FirstName", "Email", "IncomeRange")
	if len(sub(e, "errors")) != 3 {
		t.Errorf("errors = %v, want exactly FirstName, Email, IncomeRange", e["errors"])
	}
	a.apiErr(400, "param_error", "POST", "/wallets", `{"Owners":["x"],"Description":"d","Currency":"EUR","Tag":{"a":1}}`, "Tag", "Owners")
	a.apiErr(400, "param_error", "POST", "/users/natural", `[1,2]`, "Body")
	// Nested type error.
	o := a.owner()
	w := a.wallet(o, "EUR")
	a.apiErr(400, "param_error", "POST", "/transfers", `{"AuthorId":"`+o+`","DebitedWalletId":"`+w+`","CreditedWalletId":"`+w+
		`","DebitedFunds":{"Currency":"EUR","Amount":"100"},"Fees":{"Currency":"EUR","Amount":0}}`, "DebitedFunds.Amount")
}

func TestErrorShapes(t *testing.T) {
	a := newAPI(t)
	e := a.apiErr(404, "ressource_not_found", "GET", "/wallets/wlt_m_nope", nil, "RessourceNotFound")
	if !strings.Contains(str(sub(e, "errors")["RessourceNotFound"]), "wlt_m_nope") {
		t.Errorf("404 errors: %v", e["errors"])
	}
	// Unknown Ids in the body are 400 param_error, not 404.
	a.apiErr(400, "param_error", "POST", "/wallets", obj{"Owners": []string{"user_m_nope"}, "Description": "d", "Currency": "EUR"}, "Owners")
	a.apiErr(400, "param_error", "POST", "/wallets", obj{"Owners": []string{"a", "b"}, "Description": "d", "Currency": "AZN"}, "Owners", "Currency")
	a.apiErr(400, "param_error", "POST", "/transfers", obj{}, "AuthorId", "DebitedWalletId", "CreditedWalletId", "DebitedFunds", "Fees")
}
