package mangopaytest

import (
	"fmt"
	"net/http"
	"strings"
)

// payin is a pay-in of any kind; exactly one of card, web, wire and
// preauthID describes its kind.
type payin struct {
	txBase
	PaymentType   string
	ExecutionType string
	card          *secureFields
	web           *webFields
	wire          *wireFields
	preauthID     *string
	waiting       bool   // waiting for the 3DS or web payment page
	redirectTo    string // where that page sends the user back
	keyed         bool   // created with an Idempotency-Key
}

func (p *payin) eventPrefix() string { return "PAYIN_NORMAL_" }

type payinKind struct {
	PaymentType   string `json:"PaymentType"`
	ExecutionType string `json:"ExecutionType"`
}

// view writes the shape of the pay-in's kind.
func (p *payin) view() any {
	k := payinKind{p.PaymentType, p.ExecutionType}
	switch {
	case p.card != nil:
		return struct {
			txBase
			payinKind
			*secureFields
			RecurringPayinRegistrationId *string `json:"RecurringPayinRegistrationId"`
		}{p.txBase, k, p.card, nil}
	case p.web != nil:
		return struct {
			txBase
			payinKind
			*webFields
		}{p.txBase, k, p.web}
	case p.wire != nil:
		return struct {
			txBase
			payinKind
			*wireFields
		}{p.txBase, k, p.wire}
	}
	return struct {
		txBase
		payinKind
		PreauthorizationId *string `json:"PreauthorizationId"`
	}{p.txBase, k, p.preauthID}
}

// secureFields are the card-payment fields shared by card direct pay-ins and
// preauthorizations.
type secureFields struct {
	SecureMode            string       `json:"SecureMode"`
	CardId                string       `json:"CardId"`
	SecureModeReturnURL   string       `json:"SecureModeReturnURL"`
	SecureModeRedirectURL *string      `json:"SecureModeRedirectURL"`
	SecureModeNeeded      bool         `json:"SecureModeNeeded"`
	Culture               string       `json:"Culture"`
	SecurityInfo          securityInfo `json:"SecurityInfo"`
	StatementDescriptor   *string      `json:"StatementDescriptor"`
	BrowserInfo           *browserInfo `json:"BrowserInfo"`
	IpAddress             *string      `json:"IpAddress"`
	Billing               *billing     `json:"Billing"`
	Shipping              *billing     `json:"Shipping"`
	Requested3DSVersion   *string      `json:"Requested3DSVersion"`
	Applied3DSVersion     *string      `json:"Applied3DSVersion"`
	PreferredCardNetwork  *string      `json:"PreferredCardNetwork"`
	PaymentCategory       string       `json:"PaymentCategory"`
	CardInfo              *cardInfo    `json:"CardInfo"`
}

type securityInfo struct {
	AVSResult string `json:"AVSResult"`
}

// cardPayIn is the request of card direct pay-ins and preauthorizations.
type cardPayIn struct {
	AuthorId                  *string      `json:"AuthorId"`
	CreditedUserId            *string      `json:"CreditedUserId"`
	CreditedWalletId          *string      `json:"CreditedWalletId"`
	DebitedFunds              *moneyIn     `json:"DebitedFunds"`
	Fees                      *moneyIn     `json:"Fees"`
	CardId                    *string      `json:"CardId"`
	SecureModeReturnURL       *string      `json:"SecureModeReturnURL"`
	SecureMode                *string      `json:"SecureMode"`
	StatementDescriptor       *string      `json:"StatementDescriptor"`
	BrowserInfo               *browserInfo `json:"BrowserInfo"`
	IpAddress                 *string      `json:"IpAddress"`
	Billing                   *billing     `json:"Billing"`
	Shipping                  *billing     `json:"Shipping"`
	Culture                   *string      `json:"Culture"`
	PreferredCardNetwork      *string      `json:"PreferredCardNetwork"`
	PaymentCategory           *string      `json:"PaymentCategory"`
	ProfilingAttemptReference *string      `json:"ProfilingAttemptReference"`
	MultiCapture              *bool        `json:"MultiCapture"`
	Tag                       *string      `json:"Tag"`
}

// checkSecure validates the card-payment fields and returns the card.
func (st *state) checkSecure(errs fieldErrs, in *cardPayIn) *card {
	var cd *card
	if in.CardId == nil || *in.CardId == "" {
		errs.required("CardId")
	} else if c, ok := st.cards.get(*in.CardId); ok {
		cd = c
	} else {
		errs.addf("CardId", "The card %s does not exist", *in.CardId)
	}
	checkURL(errs, "SecureModeReturnURL", in.SecureModeReturnURL, true, 255)
	checkEnum(errs, "SecureMode", in.SecureMode, false, "DEFAULT", "FORCE", "NO_CHOICE")
	checkRegex(errs, "StatementDescriptor", in.StatementDescriptor, false, reStmtDesc)
	checkBrowserInfo(errs, in.BrowserInfo, true)
	checkIP(errs, "IpAddress", in.IpAddress, true)
	checkBilling(errs, "Billing", in.Billing, false)
	checkBilling(errs, "Shipping", in.Shipping, true)
	checkRegex(errs, "Culture", in.Culture, false, reCulture)
	checkEnum(errs, "PreferredCardNetwork", in.PreferredCardNetwork, false, "VISA", "MASTERCARD", "CB", "MAESTRO")
	checkEnum(errs, "PaymentCategory", in.PaymentCategory, false, "ECommerce", "TelephoneOrder")
	checkTag(errs, in.Tag)
	return cd
}

// newSecure builds the response fields; query is the parameter appended to
// SecureModeReturnURL ("transactionId" or "preAuthorizationId").
func newSecure(in *cardPayIn, cd *card, id, query string) *secureFields {
	f := &secureFields{SecureMode: "DEFAULT", CardId: cd.Id, Culture: "EN", SecurityInfo: securityInfo{"NO_CHECK"},
		SecureModeReturnURL: appendQuery(*in.SecureModeReturnURL, query, id), StatementDescriptor: in.StatementDescriptor,
		BrowserInfo: in.BrowserInfo, IpAddress: in.IpAddress, Billing: in.Billing, Shipping: in.Shipping,
		Applied3DSVersion: ptr("V2_1"), PreferredCardNetwork: in.PreferredCardNetwork, PaymentCategory: "ECommerce",
		CardInfo: cd.info()}
	if in.SecureMode != nil {
		f.SecureMode = *in.SecureMode
	}
	if in.Culture != nil {
		f.Culture = *in.Culture
	}
	if in.PaymentCategory != nil {
		f.PaymentCategory = *in.PaymentCategory
	}
	return f
}

// appendQuery adds key=value to a URL, after any existing query.
func appendQuery(u, key, value string) string {
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	return u + sep + key + "=" + value
}

// creditedUser checks an optional CreditedUserId against the wallet owner
// and returns the user to credit.
func creditedUser(errs fieldErrs, given *string, w *wallet) *string {
	if w == nil {
		return given
	}
	if given != nil && *given != "" && *given != w.owner() {
		errs.add("CreditedUserId", "The CreditedUserId must be the owner of the credited wallet")
	}
	return ptr(w.owner())
}

// cardCurrencyError checks card, wallet and DebitedFunds currencies.
func (st *state) cardCurrencyError(cd *card, w *wallet, cur string) *reply {
	if cd != nil && cd.Currency != cur {
		return st.currencyError(fmt.Sprintf("The card's currency %s and the debitedAmount's currency %s must be the same", cd.Currency, cur))
	}
	if w != nil && w.Currency != cur {
		return st.currencyError(fmt.Sprintf("The Wallet's currency %s and the DebitedFunds's currency %s must be the same", w.Currency, cur))
	}
	return nil
}

// createCardDirectPayIn is POST /payins/card/direct.
func (s *Server) createCardDirectPayIn(c *call) *reply {
	st := s.st
	var in cardPayIn
	errs := decodeBody(c.body, &in)
	st.bodyUser(errs, "AuthorId", in.AuthorId, true)
	w := st.bodyWallet(errs, "CreditedWalletId", in.CreditedWalletId)
	checkFunds(errs, in.DebitedFunds, in.Fees)
	cd := st.checkSecure(errs, &in)
	credited := creditedUser(errs, in.CreditedUserId, w)
	if len(errs) > 0 {
		return st.paramError(errs)
	}
	if rep := st.cardCurrencyError(cd, w, *in.DebitedFunds.Currency); rep != nil {
		return rep
	}
	p := &payin{txBase: st.newTx("payin_m_", in.Tag, "PAYIN", "REGULAR", in.DebitedFunds.value(), in.Fees.value()),
		PaymentType: "CARD", ExecutionType: "DIRECT"}
	p.AuthorId, p.CreditedUserId, p.CreditedWalletId = in.AuthorId, credited, ptr(w.Id)
	p.card = newSecure(&in, cd, p.Id, "transactionId")
	st.payins.add(p)
	s.txCreated(p)
	s.processCardPayIn(p, cd)
	return jsonReply(http.StatusOK, p.view())
}

// cardFailure is the immediate failure of a card payment, if any.
func cardFailure(author string, cd *card, debited, fees int64) (string, bool) {
	switch {
	case author != cd.UserId:
		return "001023", false
	case fees == debited:
		return "001014", false
	case !cd.Active:
		return "101410", false
	}
	if code, ok := sandboxAmounts[debited]; ok {
		return code, true
	}
	return "", false
}

// processCardPayIn decides a card direct pay-in: FAILED, waiting for 3DS, or
// SUCCEEDED.
func (s *Server) processCardPayIn(p *payin, cd *card) {
	at := s.st.unix()
	if code, bank := cardFailure(*p.AuthorId, cd, p.DebitedFunds.Amount, p.Fees.Amount); code != "" {
		if bank {
			cd.markValidity(false)
		}
		s.txFail(p, code, at)
		return
	}
	if cd.challenge || p.card.SecureMode == "FORCE" {
		p.waiting, p.redirectTo = true, p.card.SecureModeReturnURL
		p.card.SecureModeNeeded = true
		p.card.SecureModeRedirectURL = ptr(s.URL + "/__3ds/" + p.Id)
		return
	}
	s.succeedPayIn(p, at)
	cd.markValidity(true)
}

// succeedPayIn credits the wallet and the FEES wallet.
func (s *Server) succeedPayIn(p *payin, at int64) {
	if w, ok := s.st.wallets.get(*p.CreditedWalletId); ok {
		w.move(p.CreditedFunds.Amount)
	}
	s.st.feesWallet(p.Fees.Currency).move(p.Fees.Amount)
	s.txSucceed(p, at)
}

// getPayIn is GET /payins/{id}, for every kind of pay-in.
func (s *Server) getPayIn(c *call) *reply {
	p, ok := s.st.payins.get(c.param("id"))
	if !ok {
		return s.st.notFound("PayIn", c.param("id"))
	}
	return jsonReply(http.StatusOK, p.view())
}
