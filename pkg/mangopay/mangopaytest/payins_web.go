package mangopaytest

import "net/http"

// webSession is how long a card web payment page stays usable (15 min).
const webSession = 15 * 60

var webCultures = []string{"CS", "DA", "DE", "EL", "EN", "ES", "FI", "FR", "HU", "IT", "NL", "NO", "PL", "PT", "SK", "SV"}

// webFields are the fields specific to card web pay-ins.
type webFields struct {
	RedirectURL         string   `json:"RedirectURL"`
	ReturnURL           string   `json:"ReturnURL"`
	TemplateURL         *string  `json:"TemplateURL"`
	CardType            string   `json:"CardType"`
	CardId              *string  `json:"CardId"`
	Culture             string   `json:"Culture"`
	SecureMode          string   `json:"SecureMode"`
	StatementDescriptor *string  `json:"StatementDescriptor"`
	Billing             *billing `json:"Billing"`
	Shipping            *billing `json:"Shipping"`
}

type webPayIn struct {
	AuthorId                  *string  `json:"AuthorId"`
	CreditedUserId            *string  `json:"CreditedUserId"`
	CreditedWalletId          *string  `json:"CreditedWalletId"`
	DebitedFunds              *moneyIn `json:"DebitedFunds"`
	Fees                      *moneyIn `json:"Fees"`
	ReturnURL                 *string  `json:"ReturnURL"`
	CardType                  *string  `json:"CardType"`
	Culture                   *string  `json:"Culture"`
	SecureMode                *string  `json:"SecureMode"`
	StatementDescriptor       *string  `json:"StatementDescriptor"`
	Billing                   *billing `json:"Billing"`
	Shipping                  *billing `json:"Shipping"`
	ProfilingAttemptReference *string  `json:"ProfilingAttemptReference"`
	Tag                       *string  `json:"Tag"`
}

func checkWeb(errs fieldErrs, in *webPayIn) {
	checkFunds(errs, in.DebitedFunds, in.Fees)
	checkURL(errs, "ReturnURL", in.ReturnURL, true, 220)
	checkEnum(errs, "CardType", in.CardType, true, cardTypes...)
	checkEnum(errs, "Culture", in.Culture, true, webCultures...)
	checkEnum(errs, "SecureMode", in.SecureMode, false, "DEFAULT", "FORCE", "NO_CHOICE")
	checkRegex(errs, "StatementDescriptor", in.StatementDescriptor, false, reStmtDesc)
	checkBilling(errs, "Billing", in.Billing, false)
	checkBilling(errs, "Shipping", in.Shipping, true)
	checkTag(errs, in.Tag)
}

// createCardWebPayIn is POST /payins/card/web: CREATED with a RedirectURL to
// the fake payment page; 15 minutes later on the clock it fails (101109).
func (s *Server) createCardWebPayIn(c *call) *reply {
	st := s.st
	var in webPayIn
	errs := decodeBody(c.body, &in)
	st.bodyUser(errs, "AuthorId", in.AuthorId, true)
	w := st.bodyWallet(errs, "CreditedWalletId", in.CreditedWalletId)
	checkWeb(errs, &in)
	credited := creditedUser(errs, in.CreditedUserId, w)
	if len(errs) > 0 {
		return st.paramError(errs)
	}
	if rep := st.cardCurrencyError(nil, w, *in.DebitedFunds.Currency); rep != nil {
		return rep
	}
	p := &payin{txBase: st.newTx("payin_m_", in.Tag, "PAYIN", "REGULAR", in.DebitedFunds.value(), in.Fees.value()),
		PaymentType: "CARD", ExecutionType: "WEB", waiting: true}
	p.AuthorId, p.CreditedUserId, p.CreditedWalletId = in.AuthorId, credited, ptr(w.Id)
	p.web = &webFields{RedirectURL: s.URL + "/__web/" + p.Id, ReturnURL: appendQuery(*in.ReturnURL, "transactionId", p.Id),
		CardType: *in.CardType, Culture: *in.Culture, SecureMode: "DEFAULT", StatementDescriptor: in.StatementDescriptor,
		Billing: in.Billing, Shipping: in.Shipping}
	if in.SecureMode != nil {
		p.web.SecureMode = *in.SecureMode
	}
	p.redirectTo = p.web.ReturnURL
	st.payins.add(p)
	s.txCreated(p)
	return jsonReply(http.StatusOK, p.view())
}

// completeWeb settles a web pay-in after its payment page.
func (s *Server) completeWeb(p *payin, ok bool) {
	at := s.st.unix()
	p.waiting = false
	code, failed := sandboxAmounts[p.DebitedFunds.Amount]
	switch {
	case !ok:
		s.txFail(p, "101101", at)
	case p.Fees.Amount == p.DebitedFunds.Amount:
		s.txFail(p, "001014", at)
	case failed:
		s.txFail(p, code, at)
	default:
		s.succeedPayIn(p, at)
	}
}

// expireWebPayIns fails the web pay-ins whose page session ran out.
func (s *Server) expireWebPayIns() {
	for _, p := range s.st.payins.list {
		if p.web != nil && p.waiting && s.st.unix() >= p.CreationDate+webSession {
			p.waiting = false
			s.txFail(p, "101109", p.CreationDate+webSession)
		}
	}
}
