package mangopaytest

import (
	"net/http"
	"slices"
)

// user is a natural or a legal user; exactly one of the two field sets is
// set. Exported fields of the embedded structs are promoted into the JSON.
type user struct {
	*naturalFields
	*legalFields
	entityBase
	userFields
}

type userFields struct {
	PersonType                     string  `json:"PersonType"`
	Email                          *string `json:"Email"`
	KYCLevel                       string  `json:"KYCLevel"`
	TermsAndConditionsAccepted     bool    `json:"TermsAndConditionsAccepted"`
	TermsAndConditionsAcceptedDate *int64  `json:"TermsAndConditionsAcceptedDate"`
	UserCategory                   string  `json:"UserCategory"`
	UserStatus                     string  `json:"UserStatus"`
	PhoneNumber                    *string `json:"PhoneNumber"`
	PhoneNumberCountry             *string `json:"PhoneNumberCountry"`
}

type naturalFields struct {
	Address            *address `json:"Address"`
	FirstName          *string  `json:"FirstName"`
	LastName           *string  `json:"LastName"`
	Birthday           *int64   `json:"Birthday"`
	Nationality        *string  `json:"Nationality"`
	CountryOfResidence *string  `json:"CountryOfResidence"`
	Occupation         *string  `json:"Occupation"`
	IncomeRange        *int64   `json:"IncomeRange"`
	ProofOfIdentity    *string  `json:"ProofOfIdentity"`
	ProofOfAddress     *string  `json:"ProofOfAddress"`
	Capacity           string   `json:"Capacity"`
}

type legalFields struct {
	HeadquartersAddress                   *address `json:"HeadquartersAddress"`
	LegalPersonType                       *string  `json:"LegalPersonType"`
	Name                                  *string  `json:"Name"`
	CompanyNumber                         *string  `json:"CompanyNumber"`
	LegalRepresentativeAddress            *address `json:"LegalRepresentativeAddress"`
	LegalRepresentativeBirthday           *int64   `json:"LegalRepresentativeBirthday"`
	LegalRepresentativeCountryOfResidence *string  `json:"LegalRepresentativeCountryOfResidence"`
	LegalRepresentativeNationality        *string  `json:"LegalRepresentativeNationality"`
	LegalRepresentativeEmail              *string  `json:"LegalRepresentativeEmail"`
	LegalRepresentativeFirstName          *string  `json:"LegalRepresentativeFirstName"`
	LegalRepresentativeLastName           *string  `json:"LegalRepresentativeLastName"`
	ProofOfRegistration                   *string  `json:"ProofOfRegistration"`
	ShareholderDeclaration                *string  `json:"ShareholderDeclaration"`
	Statute                               *string  `json:"Statute"`
	LegalRepresentativeProofOfIdentity    *string  `json:"LegalRepresentativeProofOfIdentity"`
}

// view writes unset addresses as objects with null sub-fields.
func (u *user) view() any {
	v := *u
	if v.naturalFields != nil {
		n := *v.naturalFields
		n.Address = orEmpty(n.Address)
		v.naturalFields = &n
	}
	if v.legalFields != nil {
		l := *v.legalFields
		l.HeadquartersAddress = orEmpty(l.HeadquartersAddress)
		l.LegalRepresentativeAddress = orEmpty(l.LegalRepresentativeAddress)
		v.legalFields = &l
	}
	return &v
}

func (u *user) isOwner() bool { return u.UserCategory == "OWNER" }

// userCommonIn are the request fields shared by both user kinds.
type userCommonIn struct {
	UserCategory               *string `json:"UserCategory"`
	TermsAndConditionsAccepted *bool   `json:"TermsAndConditionsAccepted"`
	Email                      *string `json:"Email"`
	Tag                        *string `json:"Tag"`
	PersonType                 *string `json:"PersonType"`
}

// getUserOr404 finds a user for a path Id.
func (s *Server) getUserOr404(id string) (*user, *reply) {
	u, ok := s.st.users.get(id)
	if !ok {
		return nil, s.st.notFound("User", id)
	}
	return u, nil
}

// bodyUser finds a user named in a request body, adding a param error when
// unknown.
func (st *state) bodyUser(errs fieldErrs, field string, id *string, required bool) *user {
	if id == nil || *id == "" {
		if required {
			errs.required(field)
		}
		return nil
	}
	u, ok := st.users.get(*id)
	if !ok {
		errs.addf(field, "The user %s does not exist", *id)
	}
	return u
}

func (s *Server) getUser(c *call) *reply {
	u, rep := s.getUserOr404(c.param("id"))
	if rep != nil {
		return rep
	}
	return jsonReply(http.StatusOK, u.view())
}

func (s *Server) getTypedUser(c *call, personType, what string) *reply {
	u, ok := s.st.users.get(c.param("id"))
	if !ok || u.PersonType != personType {
		return s.st.notFound(what, c.param("id"))
	}
	return jsonReply(http.StatusOK, u.view())
}

func (s *Server) getNaturalUser(c *call) *reply { return s.getTypedUser(c, "NATURAL", "NaturalUser") }
func (s *Server) getLegalUser(c *call) *reply   { return s.getTypedUser(c, "LEGAL", "LegalUser") }

func (s *Server) listUsers(c *call) *reply {
	o, rep := s.parseList(c)
	if rep != nil {
		return rep
	}
	return s.listReply(o, filtered(s.st.users.list, func(u *user) bool {
		return o.keep(u, "PersonType", u.PersonType, "UserCategory", u.UserCategory, "KYCLevel", u.KYCLevel)
	}))
}

// applyCommon copies the shared request fields onto a candidate user and
// checks the rules shared by create and update.
func applyCommon(errs fieldErrs, u *user, in *userCommonIn, personType string) {
	if in.PersonType != nil && *in.PersonType != personType {
		errs.add("PersonType", "The PersonType of a user cannot be changed")
	}
	if in.UserCategory != nil {
		u.UserCategory = *in.UserCategory
	}
	if in.TermsAndConditionsAccepted != nil {
		u.TermsAndConditionsAccepted = *in.TermsAndConditionsAccepted
	}
	if in.Email != nil {
		u.Email = in.Email
	}
	if in.Tag != nil {
		u.Tag = in.Tag
	}
	if u.UserCategory == "" {
		errs.required("UserCategory")
	} else {
		checkEnum(errs, "UserCategory", &u.UserCategory, true, "PAYER", "OWNER")
	}
	checkEmail(errs, "Email", u.Email, true)
	checkTag(errs, u.Tag)
}

// checkUpdateRules enforces what a PUT may not do (§4.2, §4.5). The docs
// mark UserCategory and TermsAndConditionsAccepted as required on PUT too;
// the fake requires them.
func (st *state) checkUpdateRules(old *user, in *userCommonIn) *reply {
	errs := fieldErrs{}
	if in.UserCategory == nil {
		errs.required("UserCategory")
	}
	if in.TermsAndConditionsAccepted == nil {
		errs.required("TermsAndConditionsAccepted")
	}
	if in.UserCategory != nil && old.isOwner() && *in.UserCategory == "PAYER" {
		errs.add("UserCategory", "A User OWNER can't be modified to a user PAYER")
	}
	if len(errs) > 0 {
		return st.paramError(errs)
	}
	if old.TermsAndConditionsAccepted && !*in.TermsAndConditionsAccepted {
		return st.badRequest("invalid_action", "The user cannot revoke the terms and conditions acceptance")
	}
	if old.UserStatus == "CLOSED" {
		return st.badRequest("user_closed", "The user is closed")
	}
	return nil
}

// termsError is the 403 for an OWNER that has not accepted the T&Cs.
func (st *state) termsError() *reply {
	return st.apiError(http.StatusForbidden, "user_hasnt_accepted_terms_and_conditions",
		"User must accept the terms and conditions before account creation or modification.", nil)
}

// finishUser stamps the T&C acceptance date when acceptance becomes true.
func (st *state) finishUser(u *user, wasAccepted bool) {
	if u.TermsAndConditionsAccepted && !wasAccepted {
		u.TermsAndConditionsAcceptedDate = ptr(st.unix())
	}
}

func (s *Server) closeNaturalUser(c *call) *reply { return s.closeUser(c, "NATURAL", "NaturalUser") }
func (s *Server) closeLegalUser(c *call) *reply   { return s.closeUser(c, "LEGAL", "LegalUser") }

// closeUser is DELETE /users/natural|legal/{id}: 204, or 400 when a wallet is
// not empty or the user is already closed.
func (s *Server) closeUser(c *call, personType, what string) *reply {
	st := s.st
	u, ok := st.users.get(c.param("id"))
	if !ok || u.PersonType != personType {
		return st.notFound(what, c.param("id"))
	}
	if u.UserStatus == "CLOSED" {
		return st.badRequest("user_closed", "The user is already closed")
	}
	if slices.ContainsFunc(st.wallets.list, func(w *wallet) bool { return w.owner() == u.Id && w.Balance.Amount != 0 }) {
		return st.badRequest("user_closure_not_possible", "The user cannot be closed while one of its wallets is not empty")
	}
	u.UserStatus = "CLOSED"
	s.emit("USER_ACCOUNT_CLOSED", u.Id, st.unix())
	return &reply{status: http.StatusNoContent}
}

// SetKYCLevel sets a user's KYCLevel ("LIGHT" or "REGULAR") directly, firing
// USER_KYC_REGULAR / USER_KYC_LIGHT when it changes.
func (s *Server) SetKYCLevel(userID, level string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.st.users.get(userID)
	if !ok {
		return errNotFound("user", userID)
	}
	if level != "LIGHT" && level != "REGULAR" {
		return errBadValue("KYC level", level)
	}
	s.setKYCLevel(u, level, s.st.unix())
	return nil
}

// setKYCLevel changes the level and fires the user event. s.mu held.
func (s *Server) setKYCLevel(u *user, level string, at int64) {
	if u.KYCLevel == level {
		return
	}
	u.KYCLevel = level
	s.emit("USER_KYC_"+level, u.Id, at)
}

// refuseUser is the answer for a user that fails its field checks or is an
// OWNER without accepted terms; nil when the user may be stored.
func (st *state) refuseUser(errs fieldErrs, u *user) *reply {
	if len(errs) > 0 {
		return st.paramError(errs)
	}
	if u.isOwner() && !u.TermsAndConditionsAccepted {
		return st.termsError()
	}
	return nil
}

// storeNewUser gives a checked new user its id and stores it.
func (s *Server) storeNewUser(u *user) *reply {
	st := s.st
	u.entityBase = st.base("user_m_", u.Tag)
	st.finishUser(u, false)
	st.users.add(u)
	return jsonReply(http.StatusOK, u.view())
}

// userToUpdate finds the user a PUT /users/{natural|legal}/{id} names,
// which must be of personType (name is the resource in a 404).
func (st *state) userToUpdate(c *call, personType, name string) (*user, *reply) {
	old, ok := st.users.get(c.param("id"))
	if !ok {
		return nil, st.notFound(name, c.param("id"))
	}
	if old.PersonType != personType {
		return nil, st.paramError1("PersonType", "The PersonType of a user cannot be changed")
	}
	return old, nil
}
