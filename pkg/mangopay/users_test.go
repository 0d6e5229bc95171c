package mangopay_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
)

func TestNaturalUserRoundTrip(t *testing.T) {
	f := newFixture(t)
	payer := f.payer()
	wantPrefix(t, "user", payer.ID, "user_m_")
	if payer.PersonType != mangopay.PersonTypeNatural || payer.UserCategory != mangopay.UserCategoryPayer ||
		payer.KYCLevel != mangopay.KYCLevelLight || payer.CreationDate == 0 {
		t.Fatalf("payer = %+v", payer.UserBase)
	}
	if payer.Birthday != nil || payer.Nationality != nil || payer.ProofOfIdentity != nil || payer.TermsAndConditionsAcceptedDate != nil {
		t.Fatalf("PAYER nullable fields not nil: %+v", payer)
	}
	if payer.Address == nil || payer.Address.City != "Paris" || payer.Address.Country != "FR" {
		t.Fatalf("address = %+v", payer.Address)
	}
	// A PAYER's false acceptance is sent explicitly, not left out.
	if v, ok := f.lastBody(http.MethodPost, "/users/natural")["TermsAndConditionsAccepted"]; !ok || v != false {
		t.Fatalf("TermsAndConditionsAccepted sent as %v (present %v), want false", v, ok)
	}

	owner := f.owner(false)
	if !owner.TermsAndConditionsAccepted || owner.TermsAndConditionsAcceptedDate == nil {
		t.Fatalf("owner T&C = %v %v", owner.TermsAndConditionsAccepted, owner.TermsAndConditionsAcceptedDate)
	}
	if got := mangopay.Time(mangopay.Int64Value(owner.Birthday)); !got.Equal(time.Date(1990, time.May, 17, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("birthday = %v", got)
	}

	got := must(f.c.GetNaturalUser(f.ctx, owner.ID))(t)
	if got.ID != owner.ID || got.FirstName != "Jane" || mangopay.StringValue(got.Nationality) != "FR" {
		t.Fatalf("GetNaturalUser = %+v", got)
	}

	up := must(f.c.UpdateNaturalUser(f.ctx, owner.ID, &mangopay.NaturalUserUpdate{
		UserCategory: mangopay.UserCategoryOwner, TermsAndConditionsAccepted: mangopay.Bool(true), Occupation: "Baker", Tag: "updated",
	}))(t)
	if mangopay.StringValue(up.Occupation) != "Baker" || up.Tag != "updated" || up.FirstName != "Jane" || up.KYCLevel != mangopay.KYCLevelLight {
		t.Fatalf("update = %+v", up)
	}
	// Unset fields are not sent on update.
	body := f.lastBody(http.MethodPut, "/users/natural/"+owner.ID)
	if len(body) != 4 {
		t.Fatalf("update body = %v, want only UserCategory, TermsAndConditionsAccepted, Occupation and Tag", body)
	}
}

func TestUpdateSendsExplicitFalseOnlyWhenSet(t *testing.T) {
	f := newFixture(t)
	payer := f.payer()
	must(f.c.UpdateNaturalUser(f.ctx, payer.ID, &mangopay.NaturalUserUpdate{
		UserCategory: mangopay.UserCategoryPayer, TermsAndConditionsAccepted: mangopay.Bool(false), LastName: "Jones",
	}))(t)
	if v, ok := f.lastBody(http.MethodPut, "/users/natural/"+payer.ID)["TermsAndConditionsAccepted"]; !ok || v != false {
		t.Fatalf("TermsAndConditionsAccepted sent as %v (present %v), want false", v, ok)
	}
	// Left nil, the flag is not sent at all: the docs require it on PUT, so
	// Mangopay (and the fake) reject the update instead of revoking.
	_, err := f.c.UpdateNaturalUser(f.ctx, payer.ID, &mangopay.NaturalUserUpdate{UserCategory: mangopay.UserCategoryPayer, LastName: "Smith"})
	var apiErr *mangopay.Error
	if !errors.As(err, &apiErr) || apiErr.Fields["TermsAndConditionsAccepted"] == "" {
		t.Fatalf("want a field error on TermsAndConditionsAccepted, got %v", err)
	}
	if _, ok := f.lastBody(http.MethodPut, "/users/natural/"+payer.ID)["TermsAndConditionsAccepted"]; ok {
		t.Fatal("nil TermsAndConditionsAccepted was sent")
	}
}

func TestOwnerCannotRevokeTerms(t *testing.T) {
	f := newFixture(t)
	owner := f.owner(false)
	_, err := f.c.UpdateNaturalUser(f.ctx, owner.ID, &mangopay.NaturalUserUpdate{UserCategory: mangopay.UserCategoryOwner, TermsAndConditionsAccepted: mangopay.Bool(false)})
	var apiErr *mangopay.Error
	if !errors.As(err, &apiErr) || apiErr.Type != "invalid_action" {
		t.Fatalf("want 400 invalid_action, got %v", err)
	}
}

func TestPayerCanAcceptTermsOnUpdate(t *testing.T) {
	f := newFixture(t)
	payer := f.payer()
	up := must(f.c.UpdateNaturalUser(f.ctx, payer.ID, &mangopay.NaturalUserUpdate{
		UserCategory: mangopay.UserCategoryPayer, TermsAndConditionsAccepted: mangopay.Bool(true),
	}))(t)
	if !up.TermsAndConditionsAccepted || up.TermsAndConditionsAcceptedDate == nil {
		t.Fatalf("after accepting: %v %v", up.TermsAndConditionsAccepted, up.TermsAndConditionsAcceptedDate)
	}
}

func TestOwnerWithoutTermsIsRejected(t *testing.T) {
	f := newFixture(t)
	_, err := f.c.CreateNaturalUser(f.ctx, &mangopay.NaturalUserCreate{
		UserCategory: mangopay.UserCategoryOwner, FirstName: "Jane", LastName: "Doe", Email: uniqueEmail("o"),
		Birthday: mangopay.Int64(0), Nationality: "FR", CountryOfResidence: "FR",
	})
	var apiErr *mangopay.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 403 || apiErr.Type != mangopay.TypeTermsNotAccepted {
		t.Fatalf("want 403 %s, got %v", mangopay.TypeTermsNotAccepted, err)
	}
	// Birthday 0 (1970-01-01) is a real date and is sent.
	if v, ok := f.lastBody(http.MethodPost, "/users/natural")["Birthday"]; !ok || v != float64(0) {
		t.Fatalf("Birthday sent as %v (present %v)", v, ok)
	}
}

func legalOwner() *mangopay.LegalUserCreate {
	return &mangopay.LegalUserCreate{
		UserCategory: mangopay.UserCategoryOwner, TermsAndConditionsAccepted: true,
		LegalPersonType: mangopay.LegalPersonTypeBusiness, Name: "Acme SAS", Email: uniqueEmail("acme"),
		HeadquartersAddress: parisAddress(), CompanyNumber: "123456789",
		LegalRepresentativeFirstName: "Jane", LegalRepresentativeLastName: "Doe",
		LegalRepresentativeBirthday:    mangopay.Int64(mangopay.Date(1980, time.January, 2)),
		LegalRepresentativeNationality: "FR", LegalRepresentativeCountryOfResidence: "FR",
	}
}

func TestLegalUserRoundTrip(t *testing.T) {
	f := newFixture(t)
	u := must(f.c.CreateLegalUser(f.ctx, legalOwner()))(t)
	wantPrefix(t, "user", u.ID, "user_m_")
	if u.PersonType != mangopay.PersonTypeLegal || u.Name != "Acme SAS" || u.LegalPersonType != mangopay.LegalPersonTypeBusiness ||
		mangopay.StringValue(u.CompanyNumber) != "123456789" || u.HeadquartersAddress.IsZero() {
		t.Fatalf("legal user = %+v", u)
	}
	if u.LegalRepresentativeEmail != nil || u.ProofOfRegistration != nil || u.Statute != nil {
		t.Fatalf("nullable fields not nil: %+v", u)
	}
	got := must(f.c.GetLegalUser(f.ctx, u.ID))(t)
	if got.ID != u.ID || got.LegalRepresentativeFirstName != "Jane" {
		t.Fatalf("GetLegalUser = %+v", got)
	}
	up := must(f.c.UpdateLegalUser(f.ctx, u.ID, &mangopay.LegalUserUpdate{
		UserCategory: mangopay.UserCategoryOwner, TermsAndConditionsAccepted: mangopay.Bool(true), Name: "Acme Group",
	}))(t)
	if up.Name != "Acme Group" || up.LegalRepresentativeLastName != "Doe" {
		t.Fatalf("update = %+v", up)
	}

	payer := must(f.c.CreateLegalUser(f.ctx, &mangopay.LegalUserCreate{
		UserCategory: mangopay.UserCategoryPayer, LegalPersonType: mangopay.LegalPersonTypeOrganization,
		Name: "Club", Email: uniqueEmail("club"), LegalRepresentativeFirstName: "A", LegalRepresentativeLastName: "B",
	}))(t)
	if payer.LegalRepresentativeBirthday != nil || payer.UserCategory != mangopay.UserCategoryPayer {
		t.Fatalf("legal payer = %+v", payer)
	}
}

func TestGetUserExposesBothShapes(t *testing.T) {
	f := newFixture(t)
	natural := f.payer()
	legal := must(f.c.CreateLegalUser(f.ctx, legalOwner()))(t)
	tests := []struct {
		id          string
		personType  string
		wantNatural bool
	}{
		{natural.ID, mangopay.PersonTypeNatural, true},
		{legal.ID, mangopay.PersonTypeLegal, false},
	}
	for _, tt := range tests {
		t.Run(tt.personType, func(t *testing.T) {
			u := must(f.c.GetUser(f.ctx, tt.id))(t)
			if u.ID != tt.id || u.PersonType != tt.personType || u.Email == "" {
				t.Fatalf("user = %+v", u.UserBase)
			}
			if (u.Natural != nil) != tt.wantNatural || (u.Legal != nil) == tt.wantNatural {
				t.Fatalf("natural=%v legal=%v", u.Natural != nil, u.Legal != nil)
			}
			if tt.wantNatural && u.Natural.FirstName != "Alex" {
				t.Fatalf("natural = %+v", u.Natural)
			}
			if !tt.wantNatural && u.Legal.Name != "Acme SAS" {
				t.Fatalf("legal = %+v", u.Legal)
			}
		})
	}
}

func TestGetUnknownUserIsNotFound(t *testing.T) {
	f := newFixture(t)
	_, err := f.c.GetUser(f.ctx, "user_m_01NOPE")
	var apiErr *mangopay.Error
	if !mangopay.IsNotFound(err) || !errors.As(err, &apiErr) || apiErr.Type != mangopay.TypeRessourceNotFound {
		t.Fatalf("want 404 ressource_not_found, got %v", err)
	}
}

func TestListUsersPagination(t *testing.T) {
	f := newFixture(t)
	for range 5 {
		f.payer()
	}
	must(f.c.CreateLegalUser(f.ctx, legalOwner()))(t)
	page := must(f.c.ListUsers(f.ctx, &mangopay.ListOptions{Page: 2, PerPage: 4, Sort: "CreationDate:ASC"}))(t)
	if page.TotalItems != 6 || page.TotalPages != 2 || len(page.Items) != 2 {
		t.Fatalf("page 2 = %d items, TotalItems %d, TotalPages %d", len(page.Items), page.TotalItems, page.TotalPages)
	}
	if last := page.Items[1]; last.Legal == nil || last.PersonType != mangopay.PersonTypeLegal {
		t.Fatalf("last user = %+v", last.UserBase)
	}
	all := must(f.c.ListUsers(f.ctx, nil))(t)
	if len(all.Items) != 6 || all.TotalPages != 1 {
		t.Fatalf("default page = %d items / %d pages", len(all.Items), all.TotalPages)
	}
}
