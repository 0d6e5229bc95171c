package mangopaytest

import (
	"net/http"
	"slices"
)

// refund is a pay-in refund (Type PAYOUT) or a transfer refund (Type
// TRANSFER), Nature REFUND (§12).
type refund struct {
	txBase
	InitialTransactionId     string       `json:"InitialTransactionId"`
	InitialTransactionType   string       `json:"InitialTransactionType"`
	InitialTransactionNature string       `json:"InitialTransactionNature"`
	RefundReason             refundReason `json:"RefundReason"`
	StatementDescriptor      *string      `json:"StatementDescriptor"`
}

type refundReason struct {
	RefundReasonMessage *string `json:"RefundReasonMessage"`
	RefundReasonType    string  `json:"RefundReasonType"`
}

func (r *refund) view() any { return r }

func (r *refund) eventPrefix() string { return r.InitialTransactionType + "_REFUND_" }

type refundIn struct {
	AuthorId            *string  `json:"AuthorId"`
	DebitedFunds        *moneyIn `json:"DebitedFunds"`
	Fees                *moneyIn `json:"Fees"`
	StatementDescriptor *string  `json:"StatementDescriptor"`
	Tag                 *string  `json:"Tag"`
}

// checkRefund validates the body against the initial transaction: the
// author, DebitedFunds and Fees as a pair, amounts and currency.
func checkRefund(errs fieldErrs, in *refundIn, author, cur, what string) {
	if in.AuthorId == nil || *in.AuthorId == "" {
		errs.required("AuthorId")
	} else if *in.AuthorId != author {
		errs.add("AuthorId", "Author of the refund is not the author of the initial "+what)
	}
	switch {
	case in.DebitedFunds != nil && in.Fees == nil:
		errs.add("Fees", "if DebitedFunds are defined, Fees must be defined")
	case in.Fees != nil && in.DebitedFunds == nil:
		errs.add("DebitedFunds", "if Fees are defined, DebitedFunds must be defined")
	case in.DebitedFunds != nil:
		okD := checkMoney(errs, "DebitedFunds", in.DebitedFunds, true, false)
		okF := checkMoney(errs, "Fees", in.Fees, true, true)
		if okD && okF {
			checkRefundAmounts(errs, in, cur)
		}
	}
	checkStr(errs, "StatementDescriptor", in.StatementDescriptor, false, 0, 10)
	checkTag(errs, in.Tag)
}

func checkRefundAmounts(errs fieldErrs, in *refundIn, cur string) {
	d, f := in.DebitedFunds.value(), in.Fees.value()
	switch {
	case d.Currency != cur:
		errs.add("DebitedFunds.Currency", "The DebitedFunds currency must be the currency of the initial transaction")
	case f.Currency != cur:
		errs.add("Fees.Currency", "The Fees currency must be the currency of the initial transaction")
	case d.Amount < 1:
		errs.add("DebitedFunds.Amount", "The DebitedFunds amount must be at least 1")
	case f.Amount >= d.Amount:
		errs.add("Fees", "The Fees amount must be lower than the DebitedFunds amount")
	}
}

// refundAmounts returns the requested amounts, or the full refund
// (the initial CreditedFunds, fees given back).
func refundAmounts(in *refundIn, initial *txBase) (money, money) {
	if in.DebitedFunds != nil {
		return in.DebitedFunds.value(), in.Fees.value()
	}
	return initial.CreditedFunds, money{initial.Fees.Currency, -initial.Fees.Amount}
}

// refundedSoFar sums the SUCCEEDED refunds of a transaction: debited amount
// and fees given back.
func (st *state) refundedSoFar(initialID string) (debited, feesBack int64, list []*refund) {
	for _, r := range st.refunds.list {
		if r.InitialTransactionId == initialID && r.Status == "SUCCEEDED" {
			debited += r.DebitedFunds.Amount
			feesBack -= r.Fees.Amount
			list = append(list, r)
		}
	}
	return debited, feesBack, list
}

func (st *state) newRefund(initial *txBase, initialType string, in *refundIn, d, f money) *refund {
	r := &refund{txBase: st.newTx("refund_m_", in.Tag, initialType, "REFUND", d, f),
		InitialTransactionId: initial.Id, InitialTransactionType: initialType,
		InitialTransactionNature: initial.Nature, StatementDescriptor: in.StatementDescriptor}
	r.AuthorId = in.AuthorId
	st.refunds.add(r)
	return r
}

// mustBeSucceeded is the 400 for a refund of a non-SUCCEEDED transaction
// (with the "Errors": {} spelling of the documented example).
func (st *state) mustBeSucceeded() *reply {
	return st.apiErrorCap(http.StatusBadRequest, "original_transaction_must_be_succeeded",
		"The original transaction must be succeeded", map[string]string{})
}

// createPayInRefund is POST /payins/{id}/refunds.
func (s *Server) createPayInRefund(c *call) *reply {
	st := s.st
	p, ok := st.payins.get(c.param("id"))
	if !ok {
		return st.notFound("PayIn", c.param("id"))
	}
	var in refundIn
	errs := decodeBody(c.body, &in)
	checkRefund(errs, &in, strOr(p.AuthorId), p.DebitedFunds.Currency, "payin")
	if len(errs) > 0 {
		return st.paramError(errs)
	}
	if p.Status != "SUCCEEDED" {
		return st.mustBeSucceeded()
	}
	if p.wire != nil {
		return st.paramError1("PayInId", "Bank wire pay-ins cannot be refunded: use a payout with PaymentRef instead")
	}
	d, f := refundAmounts(&in, &p.txBase)
	if d.Amount > p.CreditedFunds.Amount {
		return st.paramError1("DebitedFunds", "DebitedFunds cannot be superior the CreditedFunds of the initial PayIn")
	}
	r := st.newRefund(&p.txBase, "PAYIN", &in, d, f)
	r.Type = "PAYOUT"
	r.DebitedWalletId = p.CreditedWalletId
	r.RefundReason = refundReason{RefundReasonType: "INITIALIZED_BY_CLIENT"}
	s.txCreated(r)
	s.settlePayInRefund(r, p)
	return jsonReply(http.StatusOK, r)
}

// payInRefundFailure applies the cumulative caps (005403, 005404), the
// same-amount-same-day rule (005407) and the balance (001001).
func (st *state) payInRefundFailure(r *refund, p *payin, w *wallet) string {
	debited, feesBack, prior := st.refundedSoFar(p.Id)
	day := r.CreationDate / 86400
	switch {
	case debited+r.DebitedFunds.Amount > p.CreditedFunds.Amount:
		return "005403"
	case feesBack-r.Fees.Amount > p.Fees.Amount:
		return "005404"
	case slices.ContainsFunc(prior, func(o *refund) bool {
		return o.DebitedFunds.Amount == r.DebitedFunds.Amount && o.CreationDate/86400 == day
	}):
		return "005407"
	case w == nil || w.Balance.Amount < r.DebitedFunds.Amount:
		return "001001"
	}
	return ""
}

func (s *Server) settlePayInRefund(r *refund, p *payin) {
	st := s.st
	at := st.unix()
	w, _ := st.wallets.get(strOr(p.CreditedWalletId))
	if code := st.payInRefundFailure(r, p, w); code != "" {
		s.txFail(r, code, at)
		return
	}
	w.move(-r.DebitedFunds.Amount)
	st.feesWallet(r.Fees.Currency).move(r.Fees.Amount)
	s.txSucceed(r, at)
}

// createTransferRefund is POST /transfers/{id}/refunds: money goes back from
// the credited wallet to the debited one.
func (s *Server) createTransferRefund(c *call) *reply {
	st := s.st
	t, ok := st.transfers.get(c.param("id"))
	if !ok {
		return st.notFound("Transfer", c.param("id"))
	}
	var in refundIn
	errs := decodeBody(c.body, &in)
	checkRefund(errs, &in, strOr(t.AuthorId), t.DebitedFunds.Currency, "transfer")
	if len(errs) > 0 {
		return st.paramError(errs)
	}
	if t.Status != "SUCCEEDED" {
		return st.mustBeSucceeded()
	}
	debited, _, _ := st.refundedSoFar(t.Id)
	if debited >= t.CreditedFunds.Amount {
		return st.paramError1("TransferId", "Original transaction has already been successfully refunded")
	}
	d, f := refundAmounts(&in, &t.txBase)
	if debited+d.Amount > t.CreditedFunds.Amount {
		return st.paramError1("DebitedFunds", "DebitedFunds cannot be higher than CreditedFunds of the initial transfer")
	}
	r := st.newRefund(&t.txBase, "TRANSFER", &in, d, f)
	r.CreditedUserId = t.AuthorId
	r.DebitedWalletId, r.CreditedWalletId = t.CreditedWalletId, t.DebitedWalletId
	r.RefundReason = refundReason{RefundReasonType: "OTHER"}
	s.txCreated(r)
	s.settleTransferRefund(r, t)
	return jsonReply(http.StatusOK, r)
}

func (s *Server) settleTransferRefund(r *refund, t *transfer) {
	st := s.st
	at := st.unix()
	from, _ := st.wallets.get(strOr(r.DebitedWalletId))
	to, _ := st.wallets.get(strOr(r.CreditedWalletId))
	_, feesBack, _ := st.refundedSoFar(t.Id)
	switch {
	case feesBack-r.Fees.Amount > t.Fees.Amount:
		s.txFail(r, "005404", at)
		return
	case from == nil || to == nil || from.Balance.Amount < r.DebitedFunds.Amount:
		s.txFail(r, "001001", at)
		return
	}
	from.move(-r.DebitedFunds.Amount)
	to.move(r.CreditedFunds.Amount)
	st.feesWallet(r.Fees.Currency).move(r.Fees.Amount)
	s.txSucceed(r, at)
}

func (s *Server) getRefund(c *call) *reply {
	r, ok := s.st.refunds.get(c.param("id"))
	if !ok {
		return s.st.notFound("Refund", c.param("id"))
	}
	return jsonReply(http.StatusOK, r)
}

func (s *Server) listRefundsOf(c *call, initialID string) *reply {
	o, rep := s.parseList(c)
	if rep != nil {
		return rep
	}
	return s.listReply(o, filtered(s.st.refunds.list, func(r *refund) bool {
		return r.InitialTransactionId == initialID && o.keep(r, "Status", r.Status, "ResultCode", strOr(r.ResultCode))
	}))
}

func (s *Server) listPayInRefunds(c *call) *reply {
	if _, ok := s.st.payins.get(c.param("id")); !ok {
		return s.st.notFound("PayIn", c.param("id"))
	}
	return s.listRefundsOf(c, c.param("id"))
}

func (s *Server) listTransferRefunds(c *call) *reply {
	if _, ok := s.st.transfers.get(c.param("id")); !ok {
		return s.st.notFound("Transfer", c.param("id"))
	}
	return s.listRefundsOf(c, c.param("id"))
}

func (s *Server) listPayoutRefunds(c *call) *reply {
	if _, ok := s.st.payouts.get(c.param("id")); !ok {
		return s.st.notFound("PayOut", c.param("id"))
	}
	return s.listRefundsOf(c, c.param("id"))
}
