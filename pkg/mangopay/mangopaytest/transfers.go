package mangopaytest

import (
	"fmt"
	"net/http"
)

// transfer is a wallet-to-wallet transfer (§14).
type transfer struct {
	txBase
	ScaContext *string

	scaToken   string // its SCA token, when it needed SCA (sca_transfers.go)
	scaWaiting bool   // CREATED, waiting for the author's SCA
}

func (t *transfer) eventPrefix() string { return "TRANSFER_NORMAL_" }

// pendingUserAction is the PendingUserAction member of a transfer.
type pendingUserAction struct {
	RedirectUrl string `json:"RedirectUrl"`
}

func (t *transfer) view() any { return t.viewWith("") }

// viewWith is the transfer's JSON, with PendingUserAction when redirect is
// set (the transfer waits for SCA there).
func (t *transfer) viewWith(redirect string) any {
	var pua *pendingUserAction
	if redirect != "" {
		pua = &pendingUserAction{RedirectUrl: redirect}
	}
	return struct {
		txBase
		ScaContext        *string            `json:"ScaContext"`
		PendingUserAction *pendingUserAction `json:"PendingUserAction"`
	}{t.txBase, t.ScaContext, pua}
}

type transferIn struct {
	AuthorId         *string  `json:"AuthorId"`
	CreditedUserId   *string  `json:"CreditedUserId"`
	DebitedWalletId  *string  `json:"DebitedWalletId"`
	CreditedWalletId *string  `json:"CreditedWalletId"`
	DebitedFunds     *moneyIn `json:"DebitedFunds"`
	Fees             *moneyIn `json:"Fees"`
	ScaContext       *string  `json:"ScaContext"`
	Tag              *string  `json:"Tag"`
}

// createTransfer is POST /transfers; it settles synchronously, unless the
// transfer waits for its author's SCA (sca_transfers.go).
func (s *Server) createTransfer(c *call) *reply {
	st := s.st
	var in transferIn
	errs := decodeBody(c.body, &in)
	st.bodyUser(errs, "AuthorId", in.AuthorId, true)
	dw := st.bodyWallet(errs, "DebitedWalletId", in.DebitedWalletId)
	cw := st.bodyWallet(errs, "CreditedWalletId", in.CreditedWalletId)
	checkFunds(errs, in.DebitedFunds, in.Fees)
	checkEnum(errs, "ScaContext", in.ScaContext, false, "USER_PRESENT", "USER_NOT_PRESENT")
	checkTag(errs, in.Tag)
	credited := creditedUser(errs, in.CreditedUserId, cw)
	if len(errs) > 0 {
		return st.paramError(errs)
	}
	if *in.AuthorId != dw.owner() {
		return st.badRequest("param_error", "Author should be the Debited wallet owner")
	}
	if rep := st.transferCurrencyError(dw, cw, *in.DebitedFunds.Currency); rep != nil {
		return rep
	}
	t := &transfer{txBase: st.newTx("xfer_m_", in.Tag, "TRANSFER", "REGULAR", in.DebitedFunds.value(), in.Fees.value()),
		ScaContext: in.ScaContext}
	t.AuthorId, t.CreditedUserId = in.AuthorId, credited
	t.DebitedWalletId, t.CreditedWalletId = ptr(dw.Id), ptr(cw.Id)
	st.transfers.add(t)
	s.txCreated(t)
	if st.transferFailure(t, dw, cw) == "" && st.transferNeedsSCA(dw, cw) {
		s.holdForSCA(t)
	} else {
		s.settleTransfer(t, dw, cw)
	}
	return jsonReply(http.StatusOK, t.viewWith(s.scaRedirect(t)))
}

func (st *state) transferCurrencyError(dw, cw *wallet, cur string) *reply {
	if dw.Id != cw.Id && dw.Currency != cw.Currency {
		return st.currencyError(fmt.Sprintf("The Debited Wallet's currency %s and the Credited Wallet's currency %s must be the same", dw.Currency, cw.Currency))
	}
	return st.cardCurrencyError(nil, dw, cur)
}

// transferFailure is the ResultCode a transfer fails with, or "".
func (st *state) transferFailure(t *transfer, dw, cw *wallet) string {
	switch {
	case dw.Id == cw.Id:
		return "101108"
	case t.Fees.Amount == t.DebitedFunds.Amount:
		return "001014"
	}
	if code := st.categoryFailure(dw.owner(), cw.owner()); code != "" {
		return code
	}
	if dw.Balance.Amount < t.DebitedFunds.Amount {
		return "001001"
	}
	return ""
}

// categoryFailure applies the PAYER restrictions: a PAYER may not receive
// money from another user (002701 from a PAYER, 002702 from an OWNER).
func (st *state) categoryFailure(from, to string) string {
	src, ok1 := st.users.get(from)
	dst, ok2 := st.users.get(to)
	if !ok1 || !ok2 || from == to || dst.UserCategory != "PAYER" {
		return ""
	}
	if src.UserCategory == "PAYER" {
		return "002701"
	}
	return "002702"
}

func (s *Server) settleTransfer(t *transfer, dw, cw *wallet) {
	at := s.st.unix()
	if code := s.st.transferFailure(t, dw, cw); code != "" {
		s.txFail(t, code, at)
		return
	}
	dw.move(-t.DebitedFunds.Amount)
	cw.move(t.CreditedFunds.Amount)
	s.st.feesWallet(t.Fees.Currency).move(t.Fees.Amount)
	s.txSucceed(t, at)
}

func (s *Server) getTransfer(c *call) *reply {
	t, ok := s.st.transfers.get(c.param("id"))
	if !ok {
		return s.st.notFound("Transfer", c.param("id"))
	}
	return jsonReply(http.StatusOK, t.viewWith(s.scaRedirect(t)))
}
