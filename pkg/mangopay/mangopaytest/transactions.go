package mangopaytest

// txBase holds the fields shared by pay-ins, transfers, payouts and refunds
// (§3.4).
type txBase struct {
	entityBase
	AuthorId         *string `json:"AuthorId"`
	CreditedUserId   *string `json:"CreditedUserId"`
	DebitedFunds     money   `json:"DebitedFunds"`
	CreditedFunds    money   `json:"CreditedFunds"`
	Fees             money   `json:"Fees"`
	Status           string  `json:"Status"`
	ResultCode       *string `json:"ResultCode"`
	ResultMessage    *string `json:"ResultMessage"`
	ExecutionDate    *int64  `json:"ExecutionDate"`
	Type             string  `json:"Type"`
	Nature           string  `json:"Nature"`
	CreditedWalletId *string `json:"CreditedWalletId"`
	DebitedWalletId  *string `json:"DebitedWalletId"`
}

func (b *txBase) tx() *txBase { return b }

// transaction is any money movement.
type transaction interface {
	record
	tx() *txBase
	eventPrefix() string
}

// newTx starts a CREATED transaction; CreditedFunds = DebitedFunds - Fees.
func (st *state) newTx(prefix string, tag *string, typ, nature string, debited, fees money) txBase {
	return txBase{
		entityBase:    st.base(prefix, tag),
		DebitedFunds:  debited,
		Fees:          fees,
		CreditedFunds: money{Currency: debited.Currency, Amount: debited.Amount - fees.Amount},
		Status:        "CREATED",
		Type:          typ,
		Nature:        nature,
	}
}

// transactions lists every transaction of every kind.
func (st *state) transactions() []transaction {
	var out []transaction
	for _, p := range st.payins.list {
		out = append(out, p)
	}
	for _, t := range st.transfers.list {
		out = append(out, t)
	}
	for _, p := range st.payouts.list {
		out = append(out, p)
	}
	for _, r := range st.refunds.list {
		out = append(out, r)
	}
	return out
}

// txCreated fires the *_CREATED event.
func (s *Server) txCreated(t transaction) {
	s.emit(t.eventPrefix()+"CREATED", t.key(), t.created())
}

// txSucceed marks a transaction SUCCEEDED at time at and fires the event.
func (s *Server) txSucceed(t transaction, at int64) {
	b := t.tx()
	b.Status, b.ResultCode, b.ResultMessage, b.ExecutionDate = "SUCCEEDED", ptr("000000"), ptr("Success"), ptr(at)
	s.emit(t.eventPrefix()+"SUCCEEDED", b.Id, at)
}

// txFail marks a transaction FAILED with a ResultCode and fires the event.
func (s *Server) txFail(t transaction, code string, at int64) {
	b := t.tx()
	b.Status, b.ResultCode, b.ResultMessage, b.ExecutionDate = "FAILED", ptr(code), ptr(resultMessage(code)), nil
	s.emit(t.eventPrefix()+"FAILED", b.Id, at)
}

// checkFunds validates DebitedFunds and Fees: both present, same currency,
// Fees >= 0 and Fees <= DebitedFunds.
func checkFunds(errs fieldErrs, debited, fees *moneyIn) {
	okD := checkMoney(errs, "DebitedFunds", debited, true, false)
	okF := checkMoney(errs, "Fees", fees, true, false)
	if !okD || !okF {
		return
	}
	if *fees.Currency != *debited.Currency {
		errs.add("Fees.Currency", "The Fees currency must be the same as the DebitedFunds currency")
	} else if *fees.Amount > *debited.Amount {
		errs.add("Fees", "The Fees amount cannot be higher than the DebitedFunds amount")
	}
}
