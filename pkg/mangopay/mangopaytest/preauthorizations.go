package mangopaytest

import "net/http"

// holdPeriod is ExpirationDate - AuthorizationDate (6.5 days).
const holdPeriod = 561600

// preauth is a card preauthorization (§11).
type preauth struct {
	entityBase
	AuthorId          string  `json:"AuthorId"`
	DebitedFunds      money   `json:"DebitedFunds"`
	RemainingFunds    money   `json:"RemainingFunds"`
	AuthorizationDate *int64  `json:"AuthorizationDate"`
	Status            string  `json:"Status"`
	PaymentStatus     string  `json:"PaymentStatus"`
	ExpirationDate    *int64  `json:"ExpirationDate"`
	PayInId           *string `json:"PayInId"`
	ResultCode        *string `json:"ResultCode"`
	ResultMessage     *string `json:"ResultMessage"`
	PaymentType       string  `json:"PaymentType"`
	ExecutionType     string  `json:"ExecutionType"`
	MultiCapture      bool    `json:"MultiCapture"`
	*secureFields
	waiting  bool
	captures int
}

func (p *preauth) view() any { return p }

// createPreauth is POST /preauthorizations/card/direct (no fees, no wallet).
func (s *Server) createPreauth(c *call) *reply {
	st := s.st
	var in cardPayIn
	errs := decodeBody(c.body, &in)
	st.bodyUser(errs, "AuthorId", in.AuthorId, true)
	checkMoney(errs, "DebitedFunds", in.DebitedFunds, true, false)
	cd := st.checkSecure(errs, &in)
	if len(errs) > 0 {
		return st.paramError(errs)
	}
	if rep := st.cardCurrencyError(cd, nil, *in.DebitedFunds.Currency); rep != nil {
		return rep
	}
	pa := &preauth{entityBase: st.base("preauth_m_", in.Tag), AuthorId: *in.AuthorId,
		DebitedFunds: in.DebitedFunds.value(), RemainingFunds: in.DebitedFunds.value(), Status: "CREATED",
		PaymentStatus: "WAITING", PaymentType: "CARD", ExecutionType: "DIRECT",
		MultiCapture: (in.MultiCapture == nil || *in.MultiCapture) && cd.CardType == "CB_VISA_MASTERCARD"}
	pa.secureFields = newSecure(&in, cd, pa.Id, "preAuthorizationId")
	st.preauths.add(pa)
	s.emit("PREAUTHORIZATION_CREATED", pa.Id, pa.CreationDate)
	s.processPreauth(pa, cd)
	return jsonReply(http.StatusOK, pa)
}

// processPreauth fails, waits for 3DS or authorizes a new preauthorization.
func (s *Server) processPreauth(pa *preauth, cd *card) {
	if code, bank := cardFailure(pa.AuthorId, cd, pa.DebitedFunds.Amount, -1); code != "" {
		if bank {
			cd.markValidity(false)
		}
		s.failPreauth(pa, code)
		return
	}
	if cd.challenge || pa.SecureMode == "FORCE" {
		pa.waiting, pa.SecureModeNeeded = true, true
		pa.SecureModeRedirectURL = ptr(s.URL + "/__3ds/" + pa.Id)
		return
	}
	s.authorizePreauth(pa)
	cd.markValidity(true)
}

func (s *Server) failPreauth(pa *preauth, code string) {
	at := s.st.unix()
	pa.Status, pa.PaymentStatus, pa.ResultCode, pa.ResultMessage = "FAILED", "CANCELED", ptr(code), ptr(resultMessage(code))
	s.emit("PREAUTHORIZATION_FAILED", pa.Id, at)
	s.emit("PREAUTHORIZATION_PAYMENT_CANCELED", pa.Id, at)
}

func (s *Server) authorizePreauth(pa *preauth) {
	at := s.st.unix()
	pa.Status, pa.ResultCode, pa.ResultMessage = "SUCCEEDED", ptr("000000"), ptr("Success")
	pa.AuthorizationDate, pa.ExpirationDate = ptr(at), ptr(at+holdPeriod)
	s.emit("PREAUTHORIZATION_SUCCEEDED", pa.Id, at)
}

// complete3DSPreauth settles a preauthorization after 3DS.
func (s *Server) complete3DSPreauth(pa *preauth, ok bool) {
	pa.waiting = false
	cd, _ := s.st.cards.get(pa.CardId)
	if !ok {
		s.failPreauth(pa, "101301")
	} else {
		s.authorizePreauth(pa)
	}
	if cd != nil {
		cd.markValidity(ok)
	}
}

func (s *Server) preauthOr404(id string) (*preauth, *reply) {
	pa, ok := s.st.preauths.get(id)
	if !ok {
		return nil, s.st.notFound("PreAuthorization", id)
	}
	return pa, nil
}

func (s *Server) getPreauth(c *call) *reply {
	pa, rep := s.preauthOr404(c.param("id"))
	if rep != nil {
		return rep
	}
	return jsonReply(http.StatusOK, pa)
}

// updatePreauth is PUT /preauthorizations/{id} with PaymentStatus CANCELED
// (nothing captured) or VALIDATED (after a capture).
func (s *Server) updatePreauth(c *call) *reply {
	st := s.st
	pa, rep := s.preauthOr404(c.param("id"))
	if rep != nil {
		return rep
	}
	var in struct {
		PaymentStatus *string `json:"PaymentStatus"`
		Tag           *string `json:"Tag"`
	}
	errs := decodeBody(c.body, &in)
	checkEnum(errs, "PaymentStatus", in.PaymentStatus, true, "CANCELED", "VALIDATED")
	checkTag(errs, in.Tag)
	if len(errs) > 0 {
		return st.paramError(errs)
	}
	notEditable := st.badRequest("preauthorization_payment_status_can_not_be_canceled",
		"The Payment Status of the preauthorization does not allow for it to be edited")
	switch {
	case pa.PaymentStatus != "WAITING":
		return notEditable
	case *in.PaymentStatus == "CANCELED" && pa.captures > 0:
		return notEditable
	case *in.PaymentStatus == "VALIDATED" && pa.captures == 0:
		return st.badRequest("invalid_action", "Can't validate a preauthorization with no successful payin.")
	}
	if in.Tag != nil {
		pa.Tag = in.Tag
	}
	pa.waiting = false
	s.setPaymentStatus(pa, *in.PaymentStatus, st.unix())
	return jsonReply(http.StatusOK, pa)
}

// setPaymentStatus changes PaymentStatus and fires its event.
func (s *Server) setPaymentStatus(pa *preauth, status string, at int64) {
	pa.PaymentStatus = status
	s.emit("PREAUTHORIZATION_PAYMENT_"+status, pa.Id, at)
}

// expirePreauths ends the holds whose ExpirationDate has passed: VALIDATED
// after a capture, EXPIRED otherwise.
func (s *Server) expirePreauths() {
	for _, pa := range s.st.preauths.list {
		if pa.PaymentStatus != "WAITING" || pa.ExpirationDate == nil || s.st.unix() < *pa.ExpirationDate {
			continue
		}
		status := "EXPIRED"
		if pa.captures > 0 {
			status = "VALIDATED"
		}
		s.setPaymentStatus(pa, status, *pa.ExpirationDate)
	}
}

func (s *Server) listPreauthTransactions(c *call) *reply {
	if _, rep := s.preauthOr404(c.param("id")); rep != nil {
		return rep
	}
	o, rep := s.parseList(c)
	if rep != nil {
		return rep
	}
	return s.listReply(o, filtered(s.st.payins.list, func(p *payin) bool {
		return strOr(p.preauthID) == c.param("id") && o.keep(p, "Status", p.Status, "ResultCode", strOr(p.ResultCode))
	}))
}

func (s *Server) listPreauthsBy(c *call, keep func(*preauth) bool) *reply {
	o, rep := s.parseList(c)
	if rep != nil {
		return rep
	}
	return s.listReply(o, filtered(s.st.preauths.list, func(pa *preauth) bool {
		return keep(pa) && o.keep(pa, "Status", pa.Status, "PaymentStatus", pa.PaymentStatus, "ResultCode", strOr(pa.ResultCode))
	}))
}

func (s *Server) listUserPreauths(c *call) *reply {
	if _, rep := s.getUserOr404(c.param("id")); rep != nil {
		return rep
	}
	return s.listPreauthsBy(c, func(pa *preauth) bool { return pa.AuthorId == c.param("id") })
}

func (s *Server) listCardPreauths(c *call) *reply {
	if _, rep := s.cardOr404(c.param("id")); rep != nil {
		return rep
	}
	return s.listPreauthsBy(c, func(pa *preauth) bool { return pa.CardId == c.param("id") })
}
