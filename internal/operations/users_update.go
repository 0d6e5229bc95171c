package operations

import (
	"context"
	"encoding/json"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/problem"
	"github.com/lambda-mangopay/lambda-mangopay/internal/validate"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// UpdateUserInput is the body of PUT /users/{user_id}: only the fields
// given change. Natural-user fields apply to natural users, legal-user
// fields to legal users.
type UpdateUserInput struct {
	UserID string `json:"user_id"`
	// UserCategory may go from PAYER to OWNER (with terms accepted), never back.
	UserCategory  string `json:"user_category,omitempty"`
	TermsAccepted *bool  `json:"terms_and_conditions_accepted,omitempty"`
	Email         string `json:"email,omitempty"`
	Tag           string `json:"tag,omitempty"`
	// Natural users.
	FirstName          string           `json:"first_name,omitempty"`
	LastName           string           `json:"last_name,omitempty"`
	Birthday           string           `json:"birthday,omitempty"`
	Nationality        string           `json:"nationality,omitempty"`
	CountryOfResidence string           `json:"country_of_residence,omitempty"`
	Address            *records.Address `json:"address,omitempty"`
	Occupation         string           `json:"occupation,omitempty"`
	IncomeRange        int              `json:"income_range,omitempty"`
	// Legal users.
	LegalPersonType     string           `json:"legal_person_type,omitempty"`
	Name                string           `json:"name,omitempty"`
	CompanyNumber       string           `json:"company_number,omitempty"`
	HeadquartersAddress *records.Address `json:"headquarters_address,omitempty"`
	LegalRepresentative *PersonInput     `json:"legal_representative,omitempty"`
}

// Validate checks the fields that are given.
func (in *UpdateUserInput) Validate(v *validate.Errors) {
	checkID(v, "user_id", in.UserID, records.KindUserNatural, records.KindUserLegal)
	v.OneOf("user_category", in.UserCategory, mangopay.UserCategoryPayer, mangopay.UserCategoryOwner)
	v.Email("email", in.Email)
	checkTag(v, in.Tag)
	v.MaxLen("first_name", in.FirstName, 100)
	v.MaxLen("last_name", in.LastName, 100)
	checkDate(v, "birthday", in.Birthday)
	v.Country("nationality", in.Nationality)
	v.Country("country_of_residence", in.CountryOfResidence)
	checkAddress(v, "address", in.Address, false)
	v.Check(in.IncomeRange >= 0 && in.IncomeRange <= 6, "income_range", "must be 1 to 6")
	v.OneOf("legal_person_type", in.LegalPersonType, LegalPersonTypes()...)
	v.MaxLen("name", in.Name, 255)
	checkAddress(v, "headquarters_address", in.HeadquartersAddress, false)
	if in.LegalRepresentative != nil {
		in.LegalRepresentative.check(v, "legal_representative.", false)
	}
}

// UpdateUser changes a user at Mangopay and syncs the answer back into
// its record (django-mangopay changed Mangopay and forgot the record).
func (s *Service) UpdateUser(ctx context.Context, in *UpdateUserInput, _ api.Call) (api.Result, error) {
	rec, err := s.synced(ctx, in.UserID, records.KindUserNatural, records.KindUserLegal)
	if err != nil {
		return api.Result{}, err
	}
	if errs := in.checkAgainst(rec); errs != nil {
		return api.Result{}, api.Invalid(errs...)
	}
	category, terms := rec.User.UserCategory, rec.User.TermsAccepted
	if in.UserCategory != "" {
		category = in.UserCategory
	}
	if in.TermsAccepted != nil {
		terms = *in.TermsAccepted
	}
	var raw json.RawMessage
	var apply func(*records.Record)
	if rec.Kind == records.KindUserNatural {
		u, err := s.MP.UpdateNaturalUser(ctx, rec.MangopayID, in.natural(category, terms), mangopay.WithRawResponse(&raw))
		if err != nil {
			return api.Result{}, err
		}
		apply = func(r *records.Record) { applyNaturalUser(r, u) }
	} else {
		u, err := s.MP.UpdateLegalUser(ctx, rec.MangopayID, in.legal(category, terms), mangopay.WithRawResponse(&raw))
		if err != nil {
			return api.Result{}, err
		}
		apply = func(r *records.Record) { applyLegalUser(r, u) }
	}
	rec, err = s.Records.UpdateFrom(ctx, rec, func(r *records.Record) error {
		apply(r)
		r.Raw = raw
		return nil
	})
	if err != nil {
		return api.Result{}, err
	}
	return api.OK(rec), nil
}

// checkAgainst applies the rules that depend on the stored user.
func (in *UpdateUserInput) checkAgainst(rec *records.Record) []problem.FieldError {
	var v validate.Errors
	natural := rec.Kind == records.KindUserNatural
	v.Check(!(rec.User.UserCategory == mangopay.UserCategoryOwner && in.UserCategory == mangopay.UserCategoryPayer),
		"user_category", "an OWNER cannot become a PAYER")
	v.Check(!(rec.User.TermsAccepted && in.TermsAccepted != nil && !*in.TermsAccepted),
		"terms_and_conditions_accepted", "an acceptance of the terms cannot be revoked")
	owner := in.UserCategory == mangopay.UserCategoryOwner || (in.UserCategory == "" && rec.User.UserCategory == mangopay.UserCategoryOwner)
	terms := rec.User.TermsAccepted || (in.TermsAccepted != nil && *in.TermsAccepted)
	v.Check(!owner || terms, "terms_and_conditions_accepted", "must be true for an OWNER")
	for field, set := range map[string]bool{
		"first_name": in.FirstName != "", "last_name": in.LastName != "", "birthday": in.Birthday != "",
		"nationality": in.Nationality != "", "country_of_residence": in.CountryOfResidence != "",
		"address": in.Address != nil, "occupation": in.Occupation != "", "income_range": in.IncomeRange != 0,
	} {
		v.Check(natural || !set, field, "applies to natural users only")
	}
	for field, set := range map[string]bool{
		"legal_person_type": in.LegalPersonType != "", "name": in.Name != "", "company_number": in.CompanyNumber != "",
		"headquarters_address": in.HeadquartersAddress != nil, "legal_representative": in.LegalRepresentative != nil,
	} {
		v.Check(!natural || !set, field, "applies to legal users only")
	}
	return v.List()
}

func (in *UpdateUserInput) natural(category string, terms bool) *mangopay.NaturalUserUpdate {
	return &mangopay.NaturalUserUpdate{UserCategory: category, TermsAndConditionsAccepted: mangopay.Bool(terms),
		FirstName: in.FirstName, LastName: in.LastName, Email: in.Email, Birthday: unixDate(in.Birthday),
		Nationality: in.Nationality, CountryOfResidence: in.CountryOfResidence, Address: toMangopayAddress(in.Address),
		Occupation: in.Occupation, IncomeRange: in.IncomeRange, Tag: in.Tag}
}

func (in *UpdateUserInput) legal(category string, terms bool) *mangopay.LegalUserUpdate {
	u := &mangopay.LegalUserUpdate{UserCategory: category, TermsAndConditionsAccepted: mangopay.Bool(terms),
		LegalPersonType: in.LegalPersonType, Name: in.Name, Email: in.Email,
		HeadquartersAddress: toMangopayAddress(in.HeadquartersAddress), CompanyNumber: in.CompanyNumber, Tag: in.Tag}
	if p := in.LegalRepresentative; p != nil {
		u.LegalRepresentativeFirstName, u.LegalRepresentativeLastName, u.LegalRepresentativeEmail = p.FirstName, p.LastName, p.Email
		u.LegalRepresentativeBirthday, u.LegalRepresentativeNationality = unixDate(p.Birthday), p.Nationality
		u.LegalRepresentativeCountryOfResidence, u.LegalRepresentativeAddress = p.CountryOfResidence, toMangopayAddress(p.Address)
	}
	return u
}
