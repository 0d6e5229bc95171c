package mangopaytest

import "net/http"

// payoutExpiry is how long a payout may stay CREATED (7 days) before it
// fails with 121009.
const payoutExpiry = 7 * 24 * 3600

// payout is a bank-wire payout (§13). The wallet is debited when the payout
// is created and credited back if it fails.
type payout struct {
	txBase
	BankAccountId  string
	BankWireRef    *string
	ModeRequested  string
	ModeApplied    string
	FallbackReason *fallbackReason
	PaymentRef     *paymentRef
}

type fallbackReason struct {
	Code    string `json:"Code"`
	Message string `json:"Message"`
}

type paymentRef struct {
	ReasonType  *string `json:"ReasonType"`
	ReferenceId *string `json:"ReferenceId"`
}

func (p *payout) eventPrefix() string { return "PAYOUT_NORMAL_" }

// payoutCommon is the generic GET /payouts/{id} shape.
type payoutCommon struct {
	txBase
	PaymentType                  string      `json:"PaymentType"`
	BankAccountId                string      `json:"BankAccountId"`
	BankWireRef                  *string     `json:"BankWireRef"`
	EndToEndId                   *string     `json:"EndToEndId"`
	PaymentRef                   *paymentRef `json:"PaymentRef"`
	RecipientVerificationOfPayee *struct{}   `json:"RecipientVerificationOfPayee"`
}

// genericView is the GET /payouts/{id} shape; view (GET
// /payouts/bankwire/{id}, creation, lists, Object) adds the mode fields.
func (p *payout) genericView() *payoutCommon {
	return &payoutCommon{txBase: p.txBase, PaymentType: "BANK_WIRE", BankAccountId: p.BankAccountId,
		BankWireRef: p.BankWireRef, PaymentRef: p.PaymentRef}
}

func (p *payout) view() any {
	return struct {
		*payoutCommon
		ModeRequested  string          `json:"ModeRequested"`
		ModeApplied    string          `json:"ModeApplied"`
		FallbackReason *fallbackReason `json:"FallbackReason"`
	}{p.genericView(), p.ModeRequested, p.ModeApplied, p.FallbackReason}
}

type payoutIn struct {
	AuthorId            *string     `json:"AuthorId"`
	DebitedWalletId     *string     `json:"DebitedWalletId"`
	DebitedFunds        *moneyIn    `json:"DebitedFunds"`
	Fees                *moneyIn    `json:"Fees"`
	BankAccountId       *string     `json:"BankAccountId"`
	BankWireRef         *string     `json:"BankWireRef"`
	PayoutModeRequested *string     `json:"PayoutModeRequested"`
	PaymentRef          *paymentRef `json:"PaymentRef"`
	Tag                 *string     `json:"Tag"`
}

// checkPayout validates the body and returns the wallet and bank account.
func (st *state) checkPayout(errs fieldErrs, in *payoutIn) (*wallet, *bankAccount) {
	st.bodyUser(errs, "AuthorId", in.AuthorId, true)
	w := st.bodyWallet(errs, "DebitedWalletId", in.DebitedWalletId)
	checkFunds(errs, in.DebitedFunds, in.Fees)
	var b *bankAccount
	if in.BankAccountId == nil || *in.BankAccountId == "" {
		errs.required("BankAccountId")
	} else if ba, ok := st.banks.get(*in.BankAccountId); ok {
		b = ba
	} else {
		errs.addf("BankAccountId", "The bank account %s does not exist", *in.BankAccountId)
	}
	checkStr(errs, "BankWireRef", in.BankWireRef, false, 0, 255)
	checkEnum(errs, "PayoutModeRequested", in.PayoutModeRequested, false, "STANDARD", "INSTANT_PAYMENT", "INSTANT_PAYMENT_ONLY", "RTGS_PAYMENT")
	if strOr(in.PayoutModeRequested) == "INSTANT_PAYMENT_ONLY" {
		errs.add("PayoutModeRequested", "InstantPayment was explicitly requested but this feature is not activated on your configuration")
	}
	if in.PaymentRef != nil {
		checkEnum(errs, "PaymentRef.ReasonType", in.PaymentRef.ReasonType, true, "PAYIN_REFUND")
		checkStr(errs, "PaymentRef.ReferenceId", in.PaymentRef.ReferenceId, true, 1, 255)
	}
	checkTag(errs, in.Tag)
	if in.AuthorId != nil && b != nil && b.UserId != *in.AuthorId {
		errs.add("BankAccountId", "The bank account does not belong to the author")
	}
	if in.AuthorId != nil && w != nil && w.owner() != *in.AuthorId {
		errs.add("DebitedWalletId", "Author should be the Debited wallet owner")
	}
	return w, b
}

// createPayout is POST /payouts/bankwire.
func (s *Server) createPayout(c *call) *reply {
	st := s.st
	var in payoutIn
	errs := decodeBody(c.body, &in)
	w, b := st.checkPayout(errs, &in)
	if len(errs) > 0 {
		return st.paramError(errs)
	}
	if rep := st.cardCurrencyError(nil, w, *in.DebitedFunds.Currency); rep != nil {
		return rep
	}
	p := &payout{txBase: st.newTx("po_m_", in.Tag, "PAYOUT", "REGULAR", in.DebitedFunds.value(), in.Fees.value()),
		BankAccountId: b.Id, BankWireRef: in.BankWireRef, ModeRequested: "STANDARD", ModeApplied: "STANDARD",
		PaymentRef: in.PaymentRef}
	p.AuthorId, p.CreditedUserId, p.DebitedWalletId = in.AuthorId, in.AuthorId, ptr(w.Id)
	setPayoutMode(p, in.PayoutModeRequested)
	st.payouts.add(p)
	s.txCreated(p)
	if code := st.payoutFailure(p, w, b); code != "" {
		s.txFail(p, code, st.unix())
	} else {
		w.move(-p.DebitedFunds.Amount)
	}
	return jsonReply(http.StatusOK, p.view())
}

// setPayoutMode: instant payments are not activated on the fake's
// configuration, so INSTANT_PAYMENT falls back to STANDARD.
func setPayoutMode(p *payout, requested *string) {
	switch strOr(requested) {
	case "INSTANT_PAYMENT":
		p.ModeRequested = "INSTANT_PAYMENT"
		p.FallbackReason = &fallbackReason{Code: "001999", Message: "Instant payment is not available: fallback to standard"}
	case "RTGS_PAYMENT":
		p.ModeRequested, p.ModeApplied = "RTGS_PAYMENT", "RTGS_PAYMENT"
	}
}

// payoutFailure is the ResultCode a payout fails with at creation, or "".
func (st *state) payoutFailure(p *payout, w *wallet, b *bankAccount) string {
	u, _ := st.users.get(strOr(p.AuthorId))
	switch {
	case u.UserCategory == "PAYER":
		return "002703"
	case u.KYCLevel != "REGULAR":
		return "002999"
	case !b.Active:
		return "121006"
	case p.Fees.Amount == p.DebitedFunds.Amount:
		return "001014"
	case w.Balance.Amount < p.DebitedFunds.Amount:
		return "001001"
	}
	return ""
}

// settlePayout ends a CREATED payout at time at.
func (s *Server) settlePayout(p *payout, ok bool, code string, at int64) {
	if ok {
		s.st.feesWallet(p.Fees.Currency).move(p.Fees.Amount)
		s.txSucceed(p, at)
		return
	}
	if w, found := s.st.wallets.get(strOr(p.DebitedWalletId)); found {
		w.move(p.DebitedFunds.Amount)
	}
	s.txFail(p, code, at)
}

// runDuePayouts settles payouts whose delay passed and expires those
// CREATED for 7 days.
func (s *Server) runDuePayouts() {
	now := s.st.unix()
	delay := int64(s.cfg.payoutDelay.Seconds())
	for _, p := range s.st.payouts.list {
		if p.Status != "CREATED" {
			continue
		}
		settleAt, expireAt := p.CreationDate+delay, p.CreationDate+payoutExpiry
		switch {
		case delay > 0 && settleAt <= expireAt && now >= settleAt:
			s.settlePayout(p, true, "", settleAt)
		case now >= expireAt:
			s.settlePayout(p, false, "121009", expireAt)
		}
	}
}

func (s *Server) payoutOr404(id string) (*payout, *reply) {
	p, ok := s.st.payouts.get(id)
	if !ok {
		return nil, s.st.notFound("PayOut", id)
	}
	return p, nil
}

// getPayout is GET /payouts/{id} (generic shape, without the mode fields).
func (s *Server) getPayout(c *call) *reply {
	p, rep := s.payoutOr404(c.param("id"))
	if rep != nil {
		return rep
	}
	return jsonReply(http.StatusOK, p.genericView())
}

// getPayoutBankwire is GET /payouts/bankwire/{id}.
func (s *Server) getPayoutBankwire(c *call) *reply {
	p, rep := s.payoutOr404(c.param("id"))
	if rep != nil {
		return rep
	}
	return jsonReply(http.StatusOK, p.view())
}

// SettlePayout ends a CREATED payout: SUCCEEDED, or FAILED with resultCode
// (default "121999") and the money back in the wallet.
func (s *Server) SettlePayout(id string, succeed bool, resultCode string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.st.payouts.get(id)
	if !ok {
		return errNotFound("payout", id)
	}
	if p.Status != "CREATED" {
		return errBadState("payout", id, p.Status)
	}
	if resultCode == "" {
		resultCode = "121999"
	}
	s.settlePayout(p, succeed, resultCode, s.st.unix())
	return nil
}

// SettleAllPayouts ends every CREATED payout (failures use 121999) and
// returns how many there were.
func (s *Server) SettleAllPayouts(succeed bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, p := range s.st.payouts.list {
		if p.Status == "CREATED" {
			s.settlePayout(p, succeed, "121999", s.st.unix())
			n++
		}
	}
	return n
}
