package mangopaytest

import (
	"net/http"
	"slices"
)

type naturalIn struct {
	userCommonIn
	FirstName          *string  `json:"FirstName"`
	LastName           *string  `json:"LastName"`
	Birthday           *int64   `json:"Birthday"`
	Nationality        *string  `json:"Nationality"`
	CountryOfResidence *string  `json:"CountryOfResidence"`
	Address            *address `json:"Address"`
	Occupation         *string  `json:"Occupation"`
	IncomeRange        *int64   `json:"IncomeRange"`
}

// decodeNatural decodes the body (the common fields sit at the top level).
func decodeNatural(body []byte) (*naturalIn, fieldErrs) {
	in := &naturalIn{}
	errs := decodeBody(body, &in.userCommonIn)
	for k, v := range decodeBody(body, in) {
		errs.add(k, v)
	}
	return in, errs
}

// apply copies the natural fields of in onto n.
func (in *naturalIn) apply(n *naturalFields) {
	set := func(dst **string, v *string) {
		if v != nil {
			*dst = v
		}
	}
	set(&n.FirstName, in.FirstName)
	set(&n.LastName, in.LastName)
	set(&n.Nationality, in.Nationality)
	set(&n.CountryOfResidence, in.CountryOfResidence)
	set(&n.Occupation, in.Occupation)
	if in.Birthday != nil {
		n.Birthday = in.Birthday
	}
	if in.Address != nil {
		n.Address = in.Address
	}
	if in.IncomeRange != nil {
		n.IncomeRange = in.IncomeRange
	}
}

// checkNatural validates a natural user as it would be stored (§4.3).
func checkNatural(errs fieldErrs, u *user) {
	n := u.naturalFields
	checkStr(errs, "FirstName", n.FirstName, true, 1, 100)
	checkStr(errs, "LastName", n.LastName, true, 1, 100)
	owner := u.isOwner()
	if owner && n.Birthday == nil {
		errs.required("Birthday")
	}
	checkCountry(errs, "Nationality", n.Nationality, owner)
	checkCountry(errs, "CountryOfResidence", n.CountryOfResidence, owner)
	if n.CountryOfResidence != nil && slices.Contains(blockedCountries, *n.CountryOfResidence) {
		errs.add("CountryOfResidence", "The CountryOfResidence used is blocked")
	}
	checkAddress(errs, "Address", n.Address, false, true)
	checkStr(errs, "Occupation", n.Occupation, false, 0, 255)
	if n.IncomeRange != nil && (*n.IncomeRange < 1 || *n.IncomeRange > 6) {
		errs.add("IncomeRange", "The field IncomeRange must be between 1 and 6.")
	}
}

// createNaturalUser is POST /users/natural.
func (s *Server) createNaturalUser(c *call) *reply {
	st := s.st
	in, errs := decodeNatural(c.body)
	u := &user{naturalFields: &naturalFields{Capacity: "NORMAL"},
		userFields: userFields{PersonType: "NATURAL", KYCLevel: "LIGHT", UserStatus: "ACTIVE"}}
	applyCommon(errs, u, &in.userCommonIn, "NATURAL")
	in.apply(u.naturalFields)
	checkNatural(errs, u)
	if rep := st.refuseUser(errs, u); rep != nil {
		return rep
	}
	return s.storeNewUser(u)
}

// updateNaturalUser is PUT /users/natural/{id}.
func (s *Server) updateNaturalUser(c *call) *reply {
	st := s.st
	old, rep := st.userToUpdate(c, "NATURAL", "NaturalUser")
	if rep != nil {
		return rep
	}
	in, errs := decodeNatural(c.body)
	if len(errs) > 0 {
		return st.paramError(errs)
	}
	if rep := st.checkUpdateRules(old, &in.userCommonIn); rep != nil {
		return rep
	}
	u := *old
	nf := *old.naturalFields
	u.naturalFields = &nf
	applyCommon(errs, &u, &in.userCommonIn, "NATURAL")
	in.apply(u.naturalFields)
	checkNatural(errs, &u)
	if rep := st.refuseUser(errs, &u); rep != nil {
		return rep
	}
	st.finishUser(&u, old.TermsAndConditionsAccepted)
	identityChanged := !eqStr(old.FirstName, u.FirstName) || !eqStr(old.LastName, u.LastName) ||
		!eqInt(old.Birthday, u.Birthday) || !eqStr(old.Nationality, u.Nationality)
	wasOwner := old.isOwner()
	*old = u
	s.afterUserUpdate(old, wasOwner, identityChanged, false)
	return jsonReply(http.StatusOK, old.view())
}

// afterUserUpdate fires the category event, downgrades a REGULAR user whose
// identity data changed (its identity proof becomes OUT_OF_DATE) or whose
// LegalPersonType changed so that its documents no longer suffice, and
// upgrades an OWNER whose documents suffice.
func (s *Server) afterUserUpdate(u *user, wasOwner, identityChanged, typeChanged bool) {
	at := s.st.unix()
	if u.isOwner() && !wasOwner {
		s.emit("USER_CATEGORY_UPDATED_TO_OWNER", u.Id, at)
	}
	if identityChanged && u.KYCLevel == "REGULAR" {
		s.outdateDocuments(u, "IDENTITY_PROOF")
		s.setKYCLevel(u, "LIGHT", at)
	}
	if typeChanged && u.KYCLevel == "REGULAR" && !s.st.kycSatisfied(u) {
		s.setKYCLevel(u, "LIGHT", at)
	}
	s.upgradeKYC(u)
}

func eqStr(a, b *string) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
func eqInt(a, b *int64) bool  { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
