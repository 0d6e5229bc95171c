package mangopaytest

import (
	"fmt"
	"net/http"
	"slices"
)

type captureIn struct {
	PreauthorizationId *string  `json:"PreauthorizationId"`
	AuthorId           *string  `json:"AuthorId"`
	CreditedUserId     *string  `json:"CreditedUserId"`
	CreditedWalletId   *string  `json:"CreditedWalletId"`
	DebitedFunds       *moneyIn `json:"DebitedFunds"`
	Fees               *moneyIn `json:"Fees"`
	Tag                *string  `json:"Tag"`
}

// checkCapture validates the body and returns the preauthorization and the
// wallet.
func (st *state) checkCapture(in *captureIn) (fieldErrs, *preauth, *wallet) {
	errs := fieldErrs{}
	var pa *preauth
	if in.PreauthorizationId == nil || *in.PreauthorizationId == "" {
		errs.required("PreauthorizationId")
	} else if p, ok := st.preauths.get(*in.PreauthorizationId); ok {
		pa = p
	} else {
		errs.addf("PreauthorizationId", "The preauthorization %s does not exist", *in.PreauthorizationId)
	}
	w := st.bodyWallet(errs, "CreditedWalletId", in.CreditedWalletId)
	checkFunds(errs, in.DebitedFunds, in.Fees)
	checkTag(errs, in.Tag)
	if in.AuthorId != nil && pa != nil && *in.AuthorId != pa.AuthorId {
		errs.add("AuthorId", "The AuthorId must be the author of the preauthorization")
	}
	return errs, pa, w
}

// createPreauthorizedPayIn is POST /payins/preauthorized/direct: a capture
// of a SUCCEEDED, WAITING preauthorization.
func (s *Server) createPreauthorizedPayIn(c *call) *reply {
	st := s.st
	var in captureIn
	errs := decodeBody(c.body, &in)
	more, pa, w := st.checkCapture(&in)
	for k, v := range more {
		errs.add(k, v)
	}
	credited := creditedUser(errs, in.CreditedUserId, w)
	if len(errs) > 0 {
		return st.paramError(errs)
	}
	if pa.Status != "SUCCEEDED" {
		return st.paramError1("Status", "The PreAuthorization Status value has to be up to SUCCEEDED")
	}
	if pa.PaymentStatus != "WAITING" {
		return st.paramError1("PaymentStatus", "The PreAuthorization PaymentStatus value has to be WAITING")
	}
	cur := *in.DebitedFunds.Currency
	if pa.DebitedFunds.Currency != cur {
		return st.currencyError(fmt.Sprintf("The PreAuthorization's currency %s and the DebitedFunds's currency %s must be the same", pa.DebitedFunds.Currency, cur))
	}
	if rep := st.cardCurrencyError(nil, w, cur); rep != nil {
		return rep
	}
	if st.duplicateCapture(pa, *in.DebitedFunds.Amount, c.idemKey != "") {
		return st.paramError1("IdempotencyKey",
			"Capturing the same amount twice within 24 hours on a preauthorization requires an Idempotency-Key on each capture")
	}
	p := &payin{txBase: st.newTx("payin_m_", in.Tag, "PAYIN", "REGULAR", in.DebitedFunds.value(), in.Fees.value()),
		PaymentType: "PREAUTHORIZED", ExecutionType: "DIRECT", preauthID: ptr(pa.Id), keyed: c.idemKey != ""}
	p.AuthorId, p.CreditedUserId, p.CreditedWalletId = ptr(pa.AuthorId), credited, ptr(w.Id)
	st.payins.add(p)
	s.txCreated(p)
	s.capture(pa, p)
	return jsonReply(http.StatusOK, p.view())
}

// duplicateCapture says whether a same-amount capture in the last 24 h makes
// this one need (and the earlier one have had) an Idempotency-Key.
func (st *state) duplicateCapture(pa *preauth, amount int64, keyed bool) bool {
	return slices.ContainsFunc(st.payins.list, func(p *payin) bool {
		return strOr(p.preauthID) == pa.Id && p.Status == "SUCCEEDED" && p.DebitedFunds.Amount == amount &&
			st.unix() < p.CreationDate+24*3600 && (!keyed || !p.keyed)
	})
}

// capture settles a capture pay-in against the preauthorization.
func (s *Server) capture(pa *preauth, p *payin) {
	at := s.st.unix()
	switch {
	case p.DebitedFunds.Amount > pa.RemainingFunds.Amount:
		s.txFail(p, "001505", at)
		return
	case p.Fees.Amount == p.DebitedFunds.Amount:
		s.txFail(p, "001014", at)
		return
	}
	s.succeedPayIn(p, at)
	pa.RemainingFunds.Amount -= p.DebitedFunds.Amount
	pa.captures++
	if pa.PayInId == nil {
		pa.PayInId = ptr(p.Id)
	}
	if pa.RemainingFunds.Amount == 0 || !pa.MultiCapture {
		s.setPaymentStatus(pa, "VALIDATED", at)
	}
}
