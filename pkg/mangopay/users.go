package mangopay

import (
	"context"
	"encoding/json"
	"net/http"
)

// Person types.
const (
	PersonTypeNatural = "NATURAL"
	PersonTypeLegal   = "LEGAL"
)

// User categories.
const (
	UserCategoryPayer    = "PAYER"
	UserCategoryOwner    = "OWNER"
	UserCategoryPlatform = "PLATFORM"
)

// KYC levels.
const (
	KYCLevelLight   = "LIGHT"
	KYCLevelRegular = "REGULAR"
)

// User statuses.
const (
	UserStatusActive            = "ACTIVE"
	UserStatusClosed            = "CLOSED"
	UserStatusPendingUserAction = "PENDING_USER_ACTION"
)

// Legal person types.
const (
	LegalPersonTypeBusiness     = "BUSINESS"
	LegalPersonTypePartnership  = "PARTNERSHIP"
	LegalPersonTypeOrganization = "ORGANIZATION"
	LegalPersonTypeSoletrader   = "SOLETRADER"
)

// UserBase holds the fields natural and legal users share.
type UserBase struct {
	ID           string `json:"Id"`
	Tag          string `json:"Tag"`
	CreationDate int64  `json:"CreationDate"`
	// PersonType is NATURAL or LEGAL.
	PersonType string `json:"PersonType"`
	Email      string `json:"Email"`
	// KYCLevel is LIGHT or REGULAR.
	KYCLevel                       string `json:"KYCLevel"`
	TermsAndConditionsAccepted     bool   `json:"TermsAndConditionsAccepted"`
	TermsAndConditionsAcceptedDate *int64 `json:"TermsAndConditionsAcceptedDate"`
	// UserCategory is PAYER, OWNER or PLATFORM.
	UserCategory string `json:"UserCategory"`
	// UserStatus is ACTIVE, CLOSED or PENDING_USER_ACTION.
	UserStatus         string  `json:"UserStatus"`
	PhoneNumber        *string `json:"PhoneNumber"`
	PhoneNumberCountry *string `json:"PhoneNumberCountry"`
}

// NaturalUser is a person.
type NaturalUser struct {
	UserBase
	FirstName string   `json:"FirstName"`
	LastName  string   `json:"LastName"`
	Address   *Address `json:"Address"`
	// Birthday is Unix seconds at midnight UTC; null for PAYER users.
	Birthday           *int64  `json:"Birthday"`
	Nationality        *string `json:"Nationality"`
	CountryOfResidence *string `json:"CountryOfResidence"`
	Occupation         *string `json:"Occupation"`
	// IncomeRange is 1 to 6.
	IncomeRange     *int    `json:"IncomeRange"`
	ProofOfIdentity *string `json:"ProofOfIdentity"`
	ProofOfAddress  *string `json:"ProofOfAddress"`
	// Capacity is NORMAL or DECLARATIVE (deprecated).
	Capacity *string `json:"Capacity"`
}

// LegalUser is a business, partnership, organization or sole trader.
type LegalUser struct {
	UserBase
	Name string `json:"Name"`
	// LegalPersonType is one of the LegalPersonType constants.
	LegalPersonType                       string   `json:"LegalPersonType"`
	HeadquartersAddress                   *Address `json:"HeadquartersAddress"`
	CompanyNumber                         *string  `json:"CompanyNumber"`
	LegalRepresentativeFirstName          string   `json:"LegalRepresentativeFirstName"`
	LegalRepresentativeLastName           string   `json:"LegalRepresentativeLastName"`
	LegalRepresentativeEmail              *string  `json:"LegalRepresentativeEmail"`
	LegalRepresentativeBirthday           *int64   `json:"LegalRepresentativeBirthday"`
	LegalRepresentativeNationality        *string  `json:"LegalRepresentativeNationality"`
	LegalRepresentativeCountryOfResidence *string  `json:"LegalRepresentativeCountryOfResidence"`
	LegalRepresentativeAddress            *Address `json:"LegalRepresentativeAddress"`
	ProofOfRegistration                   *string  `json:"ProofOfRegistration"`
	ShareholderDeclaration                *string  `json:"ShareholderDeclaration"`
	Statute                               *string  `json:"Statute"`
	LegalRepresentativeProofOfIdentity    *string  `json:"LegalRepresentativeProofOfIdentity"`
}

// User is a user of either kind, as returned by GET /users/{id} and the
// user list. The shared fields are promoted from UserBase; Natural or Legal
// is set according to PersonType (neither for an unknown PersonType).
type User struct {
	UserBase
	Natural *NaturalUser
	Legal   *LegalUser
}

// UnmarshalJSON reads the shared fields, then the shape PersonType names.
func (u *User) UnmarshalJSON(b []byte) error {
	var base UserBase
	if err := json.Unmarshal(b, &base); err != nil {
		return err
	}
	*u = User{UserBase: base}
	switch base.PersonType {
	case PersonTypeNatural:
		u.Natural = new(NaturalUser)
		return json.Unmarshal(b, u.Natural)
	case PersonTypeLegal:
		u.Legal = new(LegalUser)
		return json.Unmarshal(b, u.Legal)
	}
	return nil
}

// MarshalJSON writes the typed shape, or the shared fields alone.
func (u User) MarshalJSON() ([]byte, error) {
	switch {
	case u.Natural != nil:
		return json.Marshal(u.Natural)
	case u.Legal != nil:
		return json.Marshal(u.Legal)
	}
	return json.Marshal(u.UserBase)
}

// NaturalUserCreate is the body of POST /users/natural.
type NaturalUserCreate struct {
	// UserCategory is PAYER or OWNER (required).
	UserCategory string `json:"UserCategory"`
	// TermsAndConditionsAccepted is always sent; it must be true for OWNER.
	TermsAndConditionsAccepted bool   `json:"TermsAndConditionsAccepted"`
	FirstName                  string `json:"FirstName"`
	LastName                   string `json:"LastName"`
	Email                      string `json:"Email"`
	// Birthday is required for OWNER; see Date. A pointer, because 0 is a
	// valid date (1970-01-01).
	Birthday           *int64   `json:"Birthday,omitempty"`
	Nationality        string   `json:"Nationality,omitempty"`
	CountryOfResidence string   `json:"CountryOfResidence,omitempty"`
	Address            *Address `json:"Address,omitempty"`
	Occupation         string   `json:"Occupation,omitempty"`
	IncomeRange        int      `json:"IncomeRange,omitempty"`
	Tag                string   `json:"Tag,omitempty"`
}

// NaturalUserUpdate is the body of PUT /users/natural/{id}. Nil and empty
// fields are not sent and stay unchanged. The docs mark UserCategory and
// TermsAndConditionsAccepted required on PUT too: set both to the user's
// current (or new) values.
type NaturalUserUpdate struct {
	UserCategory string `json:"UserCategory,omitempty"`
	// TermsAndConditionsAccepted is a pointer so that false is sent only
	// when meant (Bool(false) for a PAYER): acceptance cannot be revoked,
	// and false after true is rejected.
	TermsAndConditionsAccepted *bool    `json:"TermsAndConditionsAccepted,omitempty"`
	FirstName                  string   `json:"FirstName,omitempty"`
	LastName                   string   `json:"LastName,omitempty"`
	Email                      string   `json:"Email,omitempty"`
	Birthday                   *int64   `json:"Birthday,omitempty"`
	Nationality                string   `json:"Nationality,omitempty"`
	CountryOfResidence         string   `json:"CountryOfResidence,omitempty"`
	Address                    *Address `json:"Address,omitempty"`
	Occupation                 string   `json:"Occupation,omitempty"`
	IncomeRange                int      `json:"IncomeRange,omitempty"`
	Tag                        string   `json:"Tag,omitempty"`
}

// LegalUserCreate is the body of POST /users/legal.
type LegalUserCreate struct {
	// UserCategory is PAYER or OWNER (required).
	UserCategory string `json:"UserCategory"`
	// TermsAndConditionsAccepted is always sent; it must be true for OWNER.
	TermsAndConditionsAccepted bool   `json:"TermsAndConditionsAccepted"`
	LegalPersonType            string `json:"LegalPersonType"`
	Name                       string `json:"Name"`
	Email                      string `json:"Email"`
	// HeadquartersAddress is required for OWNER.
	HeadquartersAddress *Address `json:"HeadquartersAddress,omitempty"`
	// CompanyNumber is required for an OWNER BUSINESS.
	CompanyNumber                         string   `json:"CompanyNumber,omitempty"`
	LegalRepresentativeFirstName          string   `json:"LegalRepresentativeFirstName"`
	LegalRepresentativeLastName           string   `json:"LegalRepresentativeLastName"`
	LegalRepresentativeEmail              string   `json:"LegalRepresentativeEmail,omitempty"`
	LegalRepresentativeBirthday           *int64   `json:"LegalRepresentativeBirthday,omitempty"`
	LegalRepresentativeNationality        string   `json:"LegalRepresentativeNationality,omitempty"`
	LegalRepresentativeCountryOfResidence string   `json:"LegalRepresentativeCountryOfResidence,omitempty"`
	LegalRepresentativeAddress            *Address `json:"LegalRepresentativeAddress,omitempty"`
	Tag                                   string   `json:"Tag,omitempty"`
}

// LegalUserUpdate is the body of PUT /users/legal/{id}. Nil and empty
// fields are not sent and stay unchanged; set UserCategory and
// TermsAndConditionsAccepted as for NaturalUserUpdate.
type LegalUserUpdate struct {
	UserCategory string `json:"UserCategory,omitempty"`
	// TermsAndConditionsAccepted is sent only when set (see
	// NaturalUserUpdate).
	TermsAndConditionsAccepted            *bool    `json:"TermsAndConditionsAccepted,omitempty"`
	LegalPersonType                       string   `json:"LegalPersonType,omitempty"`
	Name                                  string   `json:"Name,omitempty"`
	Email                                 string   `json:"Email,omitempty"`
	HeadquartersAddress                   *Address `json:"HeadquartersAddress,omitempty"`
	CompanyNumber                         string   `json:"CompanyNumber,omitempty"`
	LegalRepresentativeFirstName          string   `json:"LegalRepresentativeFirstName,omitempty"`
	LegalRepresentativeLastName           string   `json:"LegalRepresentativeLastName,omitempty"`
	LegalRepresentativeEmail              string   `json:"LegalRepresentativeEmail,omitempty"`
	LegalRepresentativeBirthday           *int64   `json:"LegalRepresentativeBirthday,omitempty"`
	LegalRepresentativeNationality        string   `json:"LegalRepresentativeNationality,omitempty"`
	LegalRepresentativeCountryOfResidence string   `json:"LegalRepresentativeCountryOfResidence,omitempty"`
	LegalRepresentativeAddress            *Address `json:"LegalRepresentativeAddress,omitempty"`
	Tag                                   string   `json:"Tag,omitempty"`
}

// CreateNaturalUser creates a natural user.
func (c *Client) CreateNaturalUser(ctx context.Context, params *NaturalUserCreate, opts ...CallOption) (*NaturalUser, error) {
	return send[NaturalUser](ctx, c, http.MethodPost, "/users/natural", params, opts)
}

// UpdateNaturalUser changes the fields set in params.
func (c *Client) UpdateNaturalUser(ctx context.Context, userID string, params *NaturalUserUpdate, opts ...CallOption) (*NaturalUser, error) {
	return send[NaturalUser](ctx, c, http.MethodPut, "/users/natural/"+escape(userID), params, opts)
}

// GetNaturalUser fetches a natural user by id.
func (c *Client) GetNaturalUser(ctx context.Context, userID string, opts ...CallOption) (*NaturalUser, error) {
	return get[NaturalUser](ctx, c, "/users/natural/"+escape(userID), opts)
}

// CreateLegalUser creates a legal user.
func (c *Client) CreateLegalUser(ctx context.Context, params *LegalUserCreate, opts ...CallOption) (*LegalUser, error) {
	return send[LegalUser](ctx, c, http.MethodPost, "/users/legal", params, opts)
}

// UpdateLegalUser changes the fields set in params.
func (c *Client) UpdateLegalUser(ctx context.Context, userID string, params *LegalUserUpdate, opts ...CallOption) (*LegalUser, error) {
	return send[LegalUser](ctx, c, http.MethodPut, "/users/legal/"+escape(userID), params, opts)
}

// GetLegalUser fetches a legal user by id.
func (c *Client) GetLegalUser(ctx context.Context, userID string, opts ...CallOption) (*LegalUser, error) {
	return get[LegalUser](ctx, c, "/users/legal/"+escape(userID), opts)
}

// GetUser fetches a user of either kind; check PersonType, then Natural or
// Legal.
func (c *Client) GetUser(ctx context.Context, userID string, opts ...CallOption) (*User, error) {
	return get[User](ctx, c, "/users/"+escape(userID), opts)
}

// ListUsers lists the platform's users, both kinds.
func (c *Client) ListUsers(ctx context.Context, opts *ListOptions) (*Page[User], error) {
	return list[User](ctx, c, "/users", opts)
}
