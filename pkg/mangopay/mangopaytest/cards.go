package mangopaytest

import "net/http"

// card is a registered card. The full PAN is never kept: only the BIN, the
// last four digits, a fingerprint and whether it is the sandbox challenge
// card.
type card struct {
	ExpirationDate string  `json:"ExpirationDate"`
	Alias          string  `json:"Alias"`
	CardType       string  `json:"CardType"`
	CardProvider   string  `json:"CardProvider"`
	Country        string  `json:"Country"`
	Product        *string `json:"Product"`
	BankCode       string  `json:"BankCode"`
	Active         bool    `json:"Active"`
	Currency       string  `json:"Currency"`
	Validity       string  `json:"Validity"`
	UserId         string  `json:"UserId"`
	entityBase
	Fingerprint    string  `json:"Fingerprint"`
	CardHolderName *string `json:"CardHolderName"`
	bin            string
	challenge      bool
}

func (c *card) view() any { return c }

// newCard creates the card of a validated registration.
func (s *Server) newCard(r *cardReg, d *pciData, holder *string) *card {
	st := s.st
	c := &card{
		ExpirationDate: d.expiry, Alias: d.bin + "XXXXXX" + d.last4, CardType: r.CardType,
		CardProvider: d.provider, Country: "FRA", BankCode: "unknown", Active: true, Currency: r.Currency,
		Validity: "UNKNOWN", UserId: r.UserId, entityBase: st.base("card_m_", r.Tag),
		Fingerprint: d.fingerprint, CardHolderName: holder, bin: d.bin, challenge: d.challenge,
	}
	st.cards.add(c)
	return c
}

// markValidity sets VALID or INVALID on the first payment outcome; the
// Validity never changes afterwards.
func (c *card) markValidity(ok bool) {
	if c.Validity != "UNKNOWN" {
		return
	}
	c.Validity = "INVALID"
	if ok {
		c.Validity = "VALID"
	}
}

// cardInfo is the CardInfo object of card pay-ins and preauthorizations.
type cardInfo struct {
	BIN               string  `json:"BIN"`
	IssuingBank       string  `json:"IssuingBank"`
	IssuerCountryCode string  `json:"IssuerCountryCode"`
	Type              string  `json:"Type"`
	Brand             string  `json:"Brand"`
	SubType           *string `json:"SubType"`
}

func (c *card) info() *cardInfo {
	return &cardInfo{BIN: c.bin, IssuingBank: "FAKE BANK", IssuerCountryCode: "FR", Type: "CREDIT", Brand: c.CardProvider}
}

func (s *Server) cardOr404(id string) (*card, *reply) {
	c, ok := s.st.cards.get(id)
	if !ok {
		return nil, s.st.notFound("Card", id)
	}
	return c, nil
}

func (s *Server) getCard(c *call) *reply {
	cd, rep := s.cardOr404(c.param("id"))
	if rep != nil {
		return rep
	}
	return jsonReply(http.StatusOK, cd)
}

// updateCard is PUT /cards/{id}: {"Active": false} deactivates (for good);
// {"CardHolderName": "..."} sets the holder name if none is set.
func (s *Server) updateCard(c *call) *reply {
	st := s.st
	cd, rep := s.cardOr404(c.param("id"))
	if rep != nil {
		return rep
	}
	var in struct {
		Active         *bool   `json:"Active"`
		CardHolderName *string `json:"CardHolderName"`
	}
	errs := decodeBody(c.body, &in)
	checkStr(errs, "CardHolderName", in.CardHolderName, false, 2, 255)
	if in.CardHolderName != nil && cd.CardHolderName != nil {
		errs.add("cardHolderName", "card holder name already exists")
	}
	if in.Active != nil && *in.Active && !cd.Active {
		errs.add("Active", "A deactivated card cannot be reactivated")
	}
	if len(errs) > 0 {
		return st.paramError(errs)
	}
	if in.Active != nil && !*in.Active {
		if !cd.Active {
			return st.badRequest("card_already_not_active", "The card has already been deactivated")
		}
		cd.Active = false
	}
	if in.CardHolderName != nil {
		cd.CardHolderName = in.CardHolderName
	}
	return jsonReply(http.StatusOK, cd)
}

func (s *Server) listUserCards(c *call) *reply {
	if _, rep := s.getUserOr404(c.param("id")); rep != nil {
		return rep
	}
	o, rep := s.parseList(c)
	if rep != nil {
		return rep
	}
	return s.listReply(o, filtered(s.st.cards.list, func(cd *card) bool {
		return cd.UserId == c.param("id") && o.keep(cd, "Active", boolStr(cd.Active), "Validity", cd.Validity)
	}))
}

func (s *Server) listCardsByFingerprint(c *call) *reply {
	o, rep := s.parseList(c)
	if rep != nil {
		return rep
	}
	return s.listReply(o, filtered(s.st.cards.list, func(cd *card) bool {
		return cd.Fingerprint == c.param("fp") && o.keep(cd)
	}))
}
