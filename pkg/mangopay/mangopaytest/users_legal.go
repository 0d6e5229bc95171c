package mangopaytest

import "net/http"

type legalIn struct {
	userCommonIn
	LegalPersonType                       *string  `json:"LegalPersonType"`
	Name                                  *string  `json:"Name"`
	HeadquartersAddress                   *address `json:"HeadquartersAddress"`
	CompanyNumber                         *string  `json:"CompanyNumber"`
	LegalRepresentativeFirstName          *string  `json:"LegalRepresentativeFirstName"`
	LegalRepresentativeLastName           *string  `json:"LegalRepresentativeLastName"`
	LegalRepresentativeEmail              *string  `json:"LegalRepresentativeEmail"`
	LegalRepresentativeBirthday           *int64   `json:"LegalRepresentativeBirthday"`
	LegalRepresentativeNationality        *string  `json:"LegalRepresentativeNationality"`
	LegalRepresentativeCountryOfResidence *string  `json:"LegalRepresentativeCountryOfResidence"`
	LegalRepresentativeAddress            *address `json:"LegalRepresentativeAddress"`
}

func decodeLegal(body []byte) (*legalIn, fieldErrs) {
	in := &legalIn{}
	errs := decodeBody(body, &in.userCommonIn)
	for k, v := range decodeBody(body, in) {
		errs.add(k, v)
	}
	return in, errs
}

func (in *legalIn) apply(l *legalFields) {
	for _, p := range []struct{ dst, v **string }{
		{&l.LegalPersonType, &in.LegalPersonType}, {&l.Name, &in.Name}, {&l.CompanyNumber, &in.CompanyNumber},
		{&l.LegalRepresentativeFirstName, &in.LegalRepresentativeFirstName},
		{&l.LegalRepresentativeLastName, &in.LegalRepresentativeLastName},
		{&l.LegalRepresentativeEmail, &in.LegalRepresentativeEmail},
		{&l.LegalRepresentativeNationality, &in.LegalRepresentativeNationality},
		{&l.LegalRepresentativeCountryOfResidence, &in.LegalRepresentativeCountryOfResidence},
	} {
		if *p.v != nil {
			*p.dst = *p.v
		}
	}
	if in.LegalRepresentativeBirthday != nil {
		l.LegalRepresentativeBirthday = in.LegalRepresentativeBirthday
	}
	if in.HeadquartersAddress != nil {
		l.HeadquartersAddress = in.HeadquartersAddress
	}
	if in.LegalRepresentativeAddress != nil {
		l.LegalRepresentativeAddress = in.LegalRepresentativeAddress
	}
}

// checkLegal validates a legal user as it would be stored (§4.4).
func checkLegal(errs fieldErrs, u *user) {
	l := u.legalFields
	owner := u.isOwner()
	checkEnum(errs, "LegalPersonType", l.LegalPersonType, true, "BUSINESS", "PARTNERSHIP", "ORGANIZATION", "SOLETRADER")
	checkStr(errs, "Name", l.Name, true, 1, 255)
	checkAddress(errs, "HeadquartersAddress", l.HeadquartersAddress, owner, true)
	checkStr(errs, "CompanyNumber", l.CompanyNumber, owner && strOr(l.LegalPersonType) == "BUSINESS", 1, 255)
	checkStr(errs, "LegalRepresentativeFirstName", l.LegalRepresentativeFirstName, true, 1, 100)
	checkStr(errs, "LegalRepresentativeLastName", l.LegalRepresentativeLastName, true, 1, 100)
	checkEmail(errs, "LegalRepresentativeEmail", l.LegalRepresentativeEmail, false)
	if owner && l.LegalRepresentativeBirthday == nil {
		errs.required("LegalRepresentativeBirthday")
	}
	checkCountry(errs, "LegalRepresentativeNationality", l.LegalRepresentativeNationality, owner)
	checkCountry(errs, "LegalRepresentativeCountryOfResidence", l.LegalRepresentativeCountryOfResidence, owner)
	checkAddress(errs, "LegalRepresentativeAddress", l.LegalRepresentativeAddress, false, true)
}

// createLegalUser is POST /users/legal.
func (s *Server) createLegalUser(c *call) *reply {
	st := s.st
	in, errs := decodeLegal(c.body)
	u := &user{legalFields: &legalFields{},
		userFields: userFields{PersonType: "LEGAL", KYCLevel: "LIGHT", UserStatus: "ACTIVE"}}
	applyCommon(errs, u, &in.userCommonIn, "LEGAL")
	in.apply(u.legalFields)
	checkLegal(errs, u)
	if rep := st.refuseUser(errs, u); rep != nil {
		return rep
	}
	return s.storeNewUser(u)
}

// updateLegalUser is PUT /users/legal/{id}. Changing LegalPersonType may
// downgrade a REGULAR user whose documents no longer suffice.
func (s *Server) updateLegalUser(c *call) *reply {
	st := s.st
	old, rep := st.userToUpdate(c, "LEGAL", "LegalUser")
	if rep != nil {
		return rep
	}
	in, errs := decodeLegal(c.body)
	if len(errs) > 0 {
		return st.paramError(errs)
	}
	if rep := st.checkUpdateRules(old, &in.userCommonIn); rep != nil {
		return rep
	}
	u := *old
	lf := *old.legalFields
	u.legalFields = &lf
	applyCommon(errs, &u, &in.userCommonIn, "LEGAL")
	in.apply(u.legalFields)
	checkLegal(errs, &u)
	if rep := st.refuseUser(errs, &u); rep != nil {
		return rep
	}
	st.finishUser(&u, old.TermsAndConditionsAccepted)
	wasOwner := old.isOwner()
	typeChanged := !eqStr(old.LegalPersonType, u.LegalPersonType)
	*old = u
	s.afterUserUpdate(old, wasOwner, false, typeChanged)
	return jsonReply(http.StatusOK, old.view())
}
