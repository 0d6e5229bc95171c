package mangopaytest

import (
	"net/http"
)

// wireFields are the fields specific to bank-wire direct pay-ins.
type wireFields struct {
	DeclaredDebitedFunds money       `json:"DeclaredDebitedFunds"`
	DeclaredFees         money       `json:"DeclaredFees"`
	WireReference        string      `json:"WireReference"`
	BankAccount          wireAccount `json:"BankAccount"`
}

// wireAccount is the account the user must wire the money to.
type wireAccount struct {
	Type         string   `json:"Type"`
	OwnerName    string   `json:"OwnerName"`
	OwnerAddress *address `json:"OwnerAddress"`
	IBAN         string   `json:"IBAN"`
	BIC          string   `json:"BIC"`
}

// platformAccount is the (sandbox test) account wires are sent to.
func platformAccount() wireAccount {
	return wireAccount{Type: "IBAN", OwnerName: "MANGOPAY SA", IBAN: "FR7630004000031234567890143", BIC: "BNPAFRPP",
		OwnerAddress: &address{AddressLine1: ptr("2 Avenue Amelie"), City: ptr("Luxembourg"),
			PostalCode: ptr("L-1125"), Country: ptr("LU")}}
}

// createBankWirePayIn is POST /payins/bankwire/direct: CREATED until the
// wire arrives (ReceiveBankWire).
func (s *Server) createBankWirePayIn(c *call) *reply {
	st := s.st
	var in struct {
		AuthorId             *string  `json:"AuthorId"`
		CreditedUserId       *string  `json:"CreditedUserId"`
		CreditedWalletId     *string  `json:"CreditedWalletId"`
		DeclaredDebitedFunds *moneyIn `json:"DeclaredDebitedFunds"`
		DeclaredFees         *moneyIn `json:"DeclaredFees"`
		Tag                  *string  `json:"Tag"`
	}
	errs := decodeBody(c.body, &in)
	st.bodyUser(errs, "AuthorId", in.AuthorId, true)
	w := st.bodyWallet(errs, "CreditedWalletId", in.CreditedWalletId)
	okD := checkMoney(errs, "DeclaredDebitedFunds", in.DeclaredDebitedFunds, true, false)
	okF := checkMoney(errs, "DeclaredFees", in.DeclaredFees, true, false)
	if okD && okF && *in.DeclaredFees.Amount > *in.DeclaredDebitedFunds.Amount {
		errs.add("DeclaredFees", "The DeclaredFees amount cannot be higher than the DeclaredDebitedFunds amount")
	}
	checkTag(errs, in.Tag)
	credited := creditedUser(errs, in.CreditedUserId, w)
	if len(errs) > 0 {
		return st.paramError(errs)
	}
	declared, fees := in.DeclaredDebitedFunds.value(), in.DeclaredFees.value()
	if declared.Currency != fees.Currency {
		return st.paramError1("DeclaredFees.Currency", "The DeclaredFees currency must be the same as the DeclaredDebitedFunds currency")
	}
	if rep := st.cardCurrencyError(nil, w, declared.Currency); rep != nil {
		return rep
	}
	zero := money{Currency: declared.Currency}
	p := &payin{txBase: st.newTx("payin_m_", in.Tag, "PAYIN", "REGULAR", zero, zero),
		PaymentType: "BANK_WIRE", ExecutionType: "DIRECT"}
	p.AuthorId, p.CreditedUserId, p.CreditedWalletId = in.AuthorId, credited, ptr(w.Id)
	p.wire = &wireFields{DeclaredDebitedFunds: declared, DeclaredFees: fees, WireReference: randCode(10),
		BankAccount: platformAccount()}
	st.payins.add(p)
	s.txCreated(p)
	return jsonReply(http.StatusOK, p.view())
}

// ReceiveBankWire makes the money of a CREATED bank-wire pay-in arrive: the
// pay-in becomes SUCCEEDED with DebitedFunds = amount and the declared fees
// (capped at amount), and the wallet is credited.
func (s *Server) ReceiveBankWire(payInID string, amount int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.st.payins.get(payInID)
	if !ok || p.wire == nil {
		return errNotFound("bank-wire pay-in", payInID)
	}
	if p.Status != "CREATED" {
		return errBadState("pay-in", payInID, p.Status)
	}
	if amount <= 0 {
		return errBadValue("amount", amount)
	}
	cur := p.wire.DeclaredDebitedFunds.Currency
	fees := min(p.wire.DeclaredFees.Amount, amount)
	p.DebitedFunds = money{cur, amount}
	p.Fees = money{cur, fees}
	p.CreditedFunds = money{cur, amount - fees}
	s.succeedPayIn(p, s.st.unix())
	return nil
}
