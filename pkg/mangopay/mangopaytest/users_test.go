package mangopaytest_test

import "testing"

func TestUserRules(t *testing.T) {
	a := newAPI(t)
	// OWNER without T&C -> 403; missing OWNER fields -> 400 listing them.
	a.apiErr(403, "user_hasnt_accepted_terms_and_conditions", "POST", "/users/natural", obj{"UserCategory": "OWNER",
		"FirstName": "A", "LastName": "B", "Email": "a@example.com", "Birthday": 0, "Nationality": "FR", "CountryOfResidence": "FR"})
	a.apiErr(400, "param_error", "POST", "/users/natural", obj{"UserCategory": "OWNER", "TermsAndConditionsAccepted": true,
		"FirstName": "A", "LastName": "B", "Email": "a@example.com"}, "Birthday", "Nationality", "CountryOfResidence")
	a.apiErr(400, "param_error", "POST", "/users/natural", obj{"FirstName": "A"}, "UserCategory", "LastName", "Email")

	owner := a.owner()
	u := a.must(200, "GET", "/users/natural/"+owner, nil)
	if u["TermsAndConditionsAcceptedDate"] == nil || u["UserCategory"] != "OWNER" {
		t.Errorf("owner: %v", u)
	}
	a.apiErr(404, "ressource_not_found", "GET", "/users/legal/"+owner, nil)
	put := func(body obj) obj { return body }
	a.apiErr(400, "param_error", "PUT", "/users/natural/"+owner, put(obj{"UserCategory": "PAYER", "TermsAndConditionsAccepted": true}), "UserCategory")
	a.apiErr(400, "invalid_action", "PUT", "/users/natural/"+owner, put(obj{"UserCategory": "OWNER", "TermsAndConditionsAccepted": false}))
	a.apiErr(400, "param_error", "PUT", "/users/legal/"+owner, put(obj{"UserCategory": "OWNER", "TermsAndConditionsAccepted": true}), "PersonType")
	a.apiErr(400, "param_error", "PUT", "/users/natural/"+owner, put(obj{"FirstName": "X"}), "UserCategory", "TermsAndConditionsAccepted")

	// A REGULAR natural user changing its name goes back to LIGHT.
	if err := a.s.SetKYCLevel(owner, "REGULAR"); err != nil {
		t.Fatal(err)
	}
	u = a.must(200, "PUT", "/users/natural/"+owner, obj{"UserCategory": "OWNER", "TermsAndConditionsAccepted": true, "Occupation": "dev"})
	if u["KYCLevel"] != "REGULAR" || u["Occupation"] != "dev" {
		t.Errorf("after an unrelated change: %v", u)
	}
	u = a.must(200, "PUT", "/users/natural/"+owner, obj{"UserCategory": "OWNER", "TermsAndConditionsAccepted": true, "LastName": "Jones"})
	if u["KYCLevel"] != "LIGHT" || u["LastName"] != "Jones" {
		t.Errorf("after a name change: %v", u)
	}

	// PAYER -> OWNER needs the OWNER fields and the T&C.
	payer := a.payer()
	a.apiErr(400, "param_error", "PUT", "/users/natural/"+payer, obj{"UserCategory": "OWNER", "TermsAndConditionsAccepted": true}, "Birthday")
	a.apiErr(403, "user_hasnt_accepted_terms_and_conditions", "PUT", "/users/natural/"+payer, obj{"UserCategory": "OWNER",
		"TermsAndConditionsAccepted": false, "Birthday": 0, "Nationality": "FR", "CountryOfResidence": "FR"})
	a.must(200, "PUT", "/users/natural/"+payer, obj{"UserCategory": "OWNER", "TermsAndConditionsAccepted": true,
		"Birthday": 0, "Nationality": "FR", "CountryOfResidence": "FR"})

	// Closing: 204, then 400 once closed.
	a.must(204, "DELETE", "/users/natural/"+payer, nil)
	a.apiErr(400, "user_closed", "DELETE", "/users/natural/"+payer, nil)
	if u := a.must(200, "GET", "/users/"+payer, nil); u["UserStatus"] != "CLOSED" {
		t.Errorf("closed user: %v", u["UserStatus"])
	}
}

func TestLegalUsers(t *testing.T) {
	a := newAPI(t)
	base := func(typ, cat string) obj {
		return obj{"UserCategory": cat, "TermsAndConditionsAccepted": true, "LegalPersonType": typ, "Name": "ACME",
			"Email": "acme@example.com", "LegalRepresentativeFirstName": "Jo", "LegalRepresentativeLastName": "Doe",
			"HeadquartersAddress": addr, "LegalRepresentativeBirthday": 0, "LegalRepresentativeNationality": "FR",
			"LegalRepresentativeCountryOfResidence": "FR", "CompanyNumber": "123"}
	}
	for _, typ := range []string{"BUSINESS", "PARTNERSHIP", "ORGANIZATION", "SOLETRADER"} {
		u := a.must(200, "POST", "/users/legal", base(typ, "OWNER"))
		if u["PersonType"] != "LEGAL" || u["LegalPersonType"] != typ || u["ProofOfRegistration"] != nil {
			t.Errorf("%s: %v", typ, u)
		}
	}
	b := base("BUSINESS", "OWNER")
	delete(b, "CompanyNumber")
	delete(b, "HeadquartersAddress")
	a.apiErr(400, "param_error", "POST", "/users/legal", b, "CompanyNumber", "HeadquartersAddress")
	b = base("NGO", "OWNER")
	a.apiErr(400, "param_error", "POST", "/users/legal", b, "LegalPersonType")
	// A PAYER needs little, and its unset HQ address is an object of nulls.
	p := a.must(200, "POST", "/users/legal", obj{"UserCategory": "PAYER", "LegalPersonType": "BUSINESS", "Name": "P",
		"Email": "p@example.com", "LegalRepresentativeFirstName": "A", "LegalRepresentativeLastName": "B"})
	if hq := sub(p, "HeadquartersAddress"); hq == nil || hq["AddressLine1"] != nil {
		t.Errorf("PAYER HQ address: %v", p["HeadquartersAddress"])
	}
	got := a.must(200, "GET", "/users/"+str(p["Id"]), nil)
	if got["Name"] != "P" {
		t.Errorf("GET /users/{id} of a legal user: %v", got)
	}
	l, h := a.list("/users?per_page=2&Sort=CreationDate:ASC")
	if len(l) != 2 || h.Get("X-Number-Of-Items") != "5" || h.Get("X-Number-Of-Pages") != "3" {
		t.Errorf("user list: %d items, headers %v", len(l), h)
	}
}
