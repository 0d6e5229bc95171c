package operations

import (
	"context"
	"encoding/json"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/validate"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// PersonInput is a natural person: a natural user, or a legal user's
// representative.
type PersonInput struct {
	FirstName          string           `json:"first_name"`
	LastName           string           `json:"last_name"`
	Email              string           `json:"email,omitempty"`
	Birthday           string           `json:"birthday,omitempty"` // YYYY-MM-DD
	Nationality        string           `json:"nationality,omitempty"`
	CountryOfResidence string           `json:"country_of_residence,omitempty"`
	Address            *records.Address `json:"address,omitempty"`
}

// check validates a person; an OWNER needs birthday, nationality and
// country of residence (Mangopay's rule, checked before calling it).
func (p *PersonInput) check(v *validate.Errors, prefix string, owner bool) {
	for _, f := range []struct{ name, value string }{{"first_name", p.FirstName}, {"last_name", p.LastName}} {
		if v.Required(prefix+f.name, f.value) {
			v.MaxLen(prefix+f.name, f.value, 100)
		}
	}
	v.Email(prefix+"email", p.Email)
	checkDate(v, prefix+"birthday", p.Birthday)
	v.Country(prefix+"nationality", p.Nationality)
	v.Country(prefix+"country_of_residence", p.CountryOfResidence)
	if owner {
		v.Required(prefix+"birthday", p.Birthday)
		v.Required(prefix+"nationality", p.Nationality)
		v.Required(prefix+"country_of_residence", p.CountryOfResidence)
	}
	checkAddress(v, prefix+"address", p.Address, false)
}

// checkCategory validates user_category and the terms rule for OWNERs.
func checkCategory(v *validate.Errors, category string, terms bool) bool {
	if !v.Required("user_category", category) || !v.OneOf("user_category", category, mangopay.UserCategoryPayer, mangopay.UserCategoryOwner) {
		return false
	}
	owner := category == mangopay.UserCategoryOwner
	v.Check(!owner || terms, "terms_and_conditions_accepted", "must be true for an OWNER: the user must accept Mangopay's terms first")
	return owner
}

// NaturalUserInput is the body of POST /users/natural.
type NaturalUserInput struct {
	// ExternalUserID is the calling system's id for this person.
	ExternalUserID string `json:"external_user_id"`
	UserCategory   string `json:"user_category"`
	TermsAccepted  bool   `json:"terms_and_conditions_accepted"`
	PersonInput
	Occupation  string `json:"occupation,omitempty"`
	IncomeRange int    `json:"income_range,omitempty"`
	Tag         string `json:"tag,omitempty"`
}

// Validate checks every field.
func (in *NaturalUserInput) Validate(v *validate.Errors) {
	checkExternalUserID(v, in.ExternalUserID)
	owner := checkCategory(v, in.UserCategory, in.TermsAccepted)
	v.Required("email", in.Email)
	in.PersonInput.check(v, "", owner)
	v.MaxLen("occupation", in.Occupation, 255)
	v.Check(in.IncomeRange >= 0 && in.IncomeRange <= 6, "income_range", "must be 1 to 6 (1: under 18K, ... 6: over 120K)")
	checkTag(v, in.Tag)
}

// CreateNaturalUser creates a natural user at Mangopay and its record.
func (s *Service) CreateNaturalUser(ctx context.Context, in *NaturalUserInput, call api.Call) (api.Result, error) {
	draft := &records.Record{Kind: records.KindUserNatural, OwnerRef: in.ExternalUserID, Tag: in.Tag,
		User: &records.User{UserCategory: in.UserCategory, TermsAccepted: in.TermsAccepted, Email: in.Email,
			Natural: in.PersonInput.record()}}
	return s.create(ctx, call, draft, func(ctx context.Context, opts ...mangopay.CallOption) (func(*records.Record), error) {
		u, err := s.MP.CreateNaturalUser(ctx, &mangopay.NaturalUserCreate{
			UserCategory: in.UserCategory, TermsAndConditionsAccepted: in.TermsAccepted,
			FirstName: in.FirstName, LastName: in.LastName, Email: in.Email, Birthday: unixDate(in.Birthday),
			Nationality: in.Nationality, CountryOfResidence: in.CountryOfResidence, Address: toMangopayAddress(in.Address),
			Occupation: in.Occupation, IncomeRange: in.IncomeRange, Tag: in.Tag,
		}, opts...)
		if err != nil {
			return nil, err
		}
		return func(r *records.Record) { applyNaturalUser(r, u) }, nil
	})
}

// record converts the person for our records.
func (p *PersonInput) record() *records.Person {
	return &records.Person{FirstName: p.FirstName, LastName: p.LastName, Email: p.Email, Birthday: dateTime(p.Birthday),
		Nationality: p.Nationality, CountryOfResidence: p.CountryOfResidence, Address: p.Address}
}

// LegalUserInput is the body of POST /users/legal.
type LegalUserInput struct {
	ExternalUserID string `json:"external_user_id"`
	UserCategory   string `json:"user_category"`
	TermsAccepted  bool   `json:"terms_and_conditions_accepted"`
	// LegalPersonType is BUSINESS, PARTNERSHIP, ORGANIZATION or SOLETRADER.
	LegalPersonType     string           `json:"legal_person_type"`
	Name                string           `json:"name"`
	Email               string           `json:"email"`
	HeadquartersAddress *records.Address `json:"headquarters_address,omitempty"`
	CompanyNumber       string           `json:"company_number,omitempty"`
	LegalRepresentative PersonInput      `json:"legal_representative"`
	Tag                 string           `json:"tag,omitempty"`
}

// LegalPersonTypes are the kinds of legal user.
func LegalPersonTypes() []string {
	return []string{mangopay.LegalPersonTypeBusiness, mangopay.LegalPersonTypePartnership,
		mangopay.LegalPersonTypeOrganization, mangopay.LegalPersonTypeSoletrader}
}

// Validate checks every field, with Mangopay's OWNER rules.
func (in *LegalUserInput) Validate(v *validate.Errors) {
	checkExternalUserID(v, in.ExternalUserID)
	owner := checkCategory(v, in.UserCategory, in.TermsAccepted)
	if v.Required("legal_person_type", in.LegalPersonType) {
		v.OneOf("legal_person_type", in.LegalPersonType, LegalPersonTypes()...)
	}
	if v.Required("name", in.Name) {
		v.MaxLen("name", in.Name, 255)
	}
	if v.Required("email", in.Email) {
		v.Email("email", in.Email)
	}
	checkAddress(v, "headquarters_address", in.HeadquartersAddress, owner)
	if owner && in.LegalPersonType == mangopay.LegalPersonTypeBusiness {
		v.Required("company_number", in.CompanyNumber)
	}
	in.LegalRepresentative.check(v, "legal_representative.", owner)
	checkTag(v, in.Tag)
}

// CreateLegalUser creates a legal user at Mangopay and its record.
func (s *Service) CreateLegalUser(ctx context.Context, in *LegalUserInput, call api.Call) (api.Result, error) {
	rep := &in.LegalRepresentative
	draft := &records.Record{Kind: records.KindUserLegal, OwnerRef: in.ExternalUserID, Tag: in.Tag,
		User: &records.User{UserCategory: in.UserCategory, TermsAccepted: in.TermsAccepted, Email: in.Email,
			LegalPersonType: in.LegalPersonType, Name: in.Name, CompanyNumber: in.CompanyNumber,
			HeadquartersAddress: in.HeadquartersAddress, LegalRepresentative: rep.record()}}
	return s.create(ctx, call, draft, func(ctx context.Context, opts ...mangopay.CallOption) (func(*records.Record), error) {
		u, err := s.MP.CreateLegalUser(ctx, &mangopay.LegalUserCreate{
			UserCategory: in.UserCategory, TermsAndConditionsAccepted: in.TermsAccepted,
			LegalPersonType: in.LegalPersonType, Name: in.Name, Email: in.Email,
			HeadquartersAddress: toMangopayAddress(in.HeadquartersAddress), CompanyNumber: in.CompanyNumber,
			LegalRepresentativeFirstName: rep.FirstName, LegalRepresentativeLastName: rep.LastName,
			LegalRepresentativeEmail: rep.Email, LegalRepresentativeBirthday: unixDate(rep.Birthday),
			LegalRepresentativeNationality: rep.Nationality, LegalRepresentativeCountryOfResidence: rep.CountryOfResidence,
			LegalRepresentativeAddress: toMangopayAddress(rep.Address), Tag: in.Tag,
		}, opts...)
		if err != nil {
			return nil, err
		}
		return func(r *records.Record) { applyLegalUser(r, u) }, nil
	})
}

// applyUserBase copies what both kinds of user share.
func applyUserBase(r *records.Record, b *mangopay.UserBase) {
	r.MangopayID, r.Status, r.Tag = b.ID, b.UserStatus, b.Tag
	r.MangopayCreatedAt = mangopayTime(b.CreationDate)
	u := r.User
	u.UserCategory, u.KYCLevel, u.UserStatus, u.Email = b.UserCategory, b.KYCLevel, b.UserStatus, b.Email
	u.TermsAccepted, u.TermsDate = b.TermsAndConditionsAccepted, mangopayTimePtr(b.TermsAndConditionsAcceptedDate)
}

// applyNaturalUser writes Mangopay's natural user into the record.
func applyNaturalUser(r *records.Record, m *mangopay.NaturalUser) {
	if r.User == nil {
		r.User = &records.User{}
	}
	applyUserBase(r, &m.UserBase)
	r.User.Natural = &records.Person{FirstName: m.FirstName, LastName: m.LastName, Email: m.Email,
		Birthday: mangopayTimePtr(m.Birthday), Nationality: mangopay.StringValue(m.Nationality),
		CountryOfResidence: mangopay.StringValue(m.CountryOfResidence), Address: fromMangopayAddress(m.Address)}
}

// applyLegalUser writes Mangopay's legal user into the record.
func applyLegalUser(r *records.Record, m *mangopay.LegalUser) {
	if r.User == nil {
		r.User = &records.User{}
	}
	applyUserBase(r, &m.UserBase)
	u := r.User
	u.LegalPersonType, u.Name, u.CompanyNumber = m.LegalPersonType, m.Name, mangopay.StringValue(m.CompanyNumber)
	u.HeadquartersAddress = fromMangopayAddress(m.HeadquartersAddress)
	u.LegalRepresentative = &records.Person{FirstName: m.LegalRepresentativeFirstName, LastName: m.LegalRepresentativeLastName,
		Email: mangopay.StringValue(m.LegalRepresentativeEmail), Birthday: mangopayTimePtr(m.LegalRepresentativeBirthday),
		Nationality:        mangopay.StringValue(m.LegalRepresentativeNationality),
		CountryOfResidence: mangopay.StringValue(m.LegalRepresentativeCountryOfResidence),
		Address:            fromMangopayAddress(m.LegalRepresentativeAddress)}
}

// GetUserInput is GET /users/{user_id}[?refresh=true].
type GetUserInput struct {
	UserID string `json:"user_id"`
	// Refresh re-reads the user from Mangopay and stores it first.
	Refresh bool `json:"refresh,omitempty"`
}

// Validate checks the id.
func (in *GetUserInput) Validate(v *validate.Errors) {
	checkID(v, "user_id", in.UserID, records.KindUserNatural, records.KindUserLegal)
}

// GetUser answers from the record, or re-reads Mangopay first on refresh.
func (s *Service) GetUser(ctx context.Context, in *GetUserInput, _ api.Call) (api.Result, error) {
	if !in.Refresh {
		rec, err := s.load(ctx, in.UserID, records.KindUserNatural, records.KindUserLegal)
		if err != nil {
			return api.Result{}, err
		}
		return api.OK(rec), nil
	}
	rec, err := s.synced(ctx, in.UserID, records.KindUserNatural, records.KindUserLegal)
	if err != nil {
		return api.Result{}, err
	}
	rec, err = s.refreshUser(ctx, rec)
	if err != nil {
		return api.Result{}, err
	}
	return api.OK(rec), nil
}

// refreshUser reads the user from Mangopay into its record.
func (s *Service) refreshUser(ctx context.Context, rec *records.Record) (*records.Record, error) {
	var raw json.RawMessage
	u, err := s.MP.GetUser(ctx, rec.MangopayID, mangopay.WithRawResponse(&raw))
	if err != nil {
		return nil, err
	}
	return s.Records.UpdateFrom(ctx, rec, func(r *records.Record) error {
		switch {
		case u.Natural != nil:
			applyNaturalUser(r, u.Natural)
		case u.Legal != nil:
			applyLegalUser(r, u.Legal)
		}
		r.Raw, r.SyncState, r.SyncError = raw, records.SyncSynced, ""
		return nil
	})
}
