package operations

import (
	"fmt"

	"github.com/lambda-mangopay/lambda-mangopay/internal/validate"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// Shared money checks and conversions, for every operation that moves
// money (pay-ins, preauthorizations, refunds, transfers, payouts). Money in
// requests is {"amount": 1050, "currency": "EUR"}: a whole number of minor
// units and an ISO 4217 code Mangopay documents.
// Writing a transaction's common fields into its record and marking it
// for re-check are applyTransaction and markRecheck in transactions.go.

// checkMoney checks an amount to debit: a currency from
// validate.Currencies and a positive whole amount of minor units. Errors
// name field+".amount" and field+".currency".
func checkMoney(v *validate.Errors, field string, m records.Money) bool {
	okAmount := v.Amount(field+".amount", m.Amount, true)
	okCurrency := v.Currency(field+".currency", m.Currency)
	return okAmount && okCurrency
}

// checkFees checks the fees of a debit named "debited_funds" and "fees":
// see checkFeesOf.
func checkFees(v *validate.Errors, debited, fees records.Money) bool {
	return checkFeesOf(v, "debited_funds", "fees", debited, fees)
}

// checkFeesOf checks fees against what is debited: the same currency, and
// 0 <= fees <= debited. The debited amount itself is checked by
// checkMoney; errors name feesField+".amount" and feesField+".currency".
func checkFeesOf(v *validate.Errors, debitedField, feesField string, debited, fees records.Money) bool {
	ok := v.Amount(feesField+".amount", fees.Amount, false)
	if v.Required(feesField+".currency", fees.Currency) {
		ok = v.Check(fees.Currency == debited.Currency, feesField+".currency",
			"must be the currency of "+debitedField+" ("+debited.Currency+")") && ok
	} else {
		ok = false
	}
	if ok && fees.Amount > debited.Amount {
		v.Add(feesField+".amount", "must not be more than %s.amount (%d)", debitedField, debited.Amount)
		ok = false
	}
	return ok
}

// toMangopayMoney converts an amount for Mangopay.
func toMangopayMoney(m records.Money) mangopay.Money {
	return mangopay.Money{Currency: m.Currency, Amount: m.Amount}
}

// fromMangopayMoney converts Mangopay's amount for our records.
func fromMangopayMoney(m mangopay.Money) records.Money {
	return records.Money{Currency: m.Currency, Amount: m.Amount}
}

// moneyExample is how a money field is written, for error reasons.
const moneyExample = `{"amount": 1050, "currency": "EUR"}`

// checkFunds validates a required money field (nil when the request left
// it out) with checkMoney.
func checkFunds(v *validate.Errors, field string, m *records.Money) bool {
	if m == nil {
		v.Add(field, "is required, e.g. %s (amounts in minor units)", moneyExample)
		return false
	}
	return checkMoney(v, field, *m)
}

// checkFundsAndFees validates the debited funds and fees of a transfer or
// payout: both present, fees in the debited currency, and 0 <= fees <
// debited (fees equal to the debited funds would credit nothing, which
// Mangopay fails with 001014).
func checkFundsAndFees(v *validate.Errors, debited, fees *records.Money) {
	okD := checkFunds(v, "debited_funds", debited)
	if fees == nil {
		v.Add("fees", `is required: the platform's fee, {"amount": 0, "currency": "EUR"} for none`)
		return
	}
	if !okD {
		v.Amount("fees.amount", fees.Amount, false)
		v.Currency("fees.currency", fees.Currency)
		return
	}
	if checkFees(v, *debited, *fees) {
		v.Check(fees.Amount < debited.Amount, "fees.amount", fmt.Sprintf(
			"must be less than debited_funds.amount (%d): nothing would be credited (Mangopay fails it with ResultCode 001014)", debited.Amount))
	}
}
