package mangopay_test

import (
	"testing"
	"time"

	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay/mangopaytest"
)

// payoutSetup gives a REGULAR owner with a funded wallet and an IBAN account.
func (f *fixture) payoutSetup(amount int64) (*mangopay.NaturalUser, *mangopay.Wallet, *mangopay.BankAccount) {
	f.t.Helper()
	u := f.owner(true)
	w, _ := f.fund(u.ID, amount, 0)
	b := must(f.c.CreateIBANBankAccount(f.ctx, u.ID, &mangopay.IBANBankAccountCreate{OwnerName: "Jane Doe", OwnerAddress: parisAddress(), IBAN: testIBAN, BIC: testBIC}))(f.t)
	return u, w, b
}

func TestPayoutCreatedThenSettled(t *testing.T) {
	tests := []struct {
		name    string
		succeed bool
		code    string
	}{
		{"succeeded", true, ""},
		{"failed", false, mangopay.ResultCodePayoutBankAccountClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			u, w, b := f.payoutSetup(10000)
			po := must(f.c.CreatePayout(f.ctx, &mangopay.PayoutCreate{
				AuthorID: u.ID, DebitedWalletID: w.ID, DebitedFunds: eur(6000), Fees: eur(100),
				BankAccountID: b.ID, BankWireRef: "INV 42",
			}))(t)
			wantPrefix(t, "payout", po.ID, "po_m_")
			if !po.Pending() || po.ResultCode != nil || po.ExecutionDate != nil || po.Type != mangopay.TransactionTypePayOut ||
				po.PaymentType != mangopay.PaymentTypeBankWire || po.BankAccountID != b.ID || mangopay.StringValue(po.BankWireRef) != "INV 42" ||
				po.CreditedWalletID != nil || mangopay.StringValue(po.DebitedWalletID) != w.ID || po.CreditedFunds != eur(5900) {
				t.Fatalf("created payout = %+v", po)
			}
			got := must(f.c.GetPayout(f.ctx, po.ID))(t)
			if mangopay.StringValue(got.ModeRequested) != mangopay.PayoutModeStandard || got.ModeApplied == nil {
				t.Fatalf("bankwire view: requested %v applied %v", got.ModeRequested, got.ModeApplied)
			}
			f.check(f.srv.SettlePayout(po.ID, tt.succeed, tt.code))
			got = must(f.c.GetPayout(f.ctx, po.ID))(t)
			if tt.succeed {
				if !got.Succeeded() || got.Code() != mangopay.ResultCodeSuccess || got.ExecutionDate == nil ||
					mangopay.StringValue(got.ModeApplied) != mangopay.PayoutModeStandard {
					t.Fatalf("settled payout = %s %s exec=%v mode=%v", got.Status, got.Code(), got.ExecutionDate, mangopay.StringValue(got.ModeApplied))
				}
				if w := must(f.c.GetWallet(f.ctx, w.ID))(t); w.Balance.Amount != 4000 {
					t.Fatalf("balance = %d, want 4000", w.Balance.Amount)
				}
				return
			}
			if !got.Failed() || got.Code() != tt.code || got.ExecutionDate != nil {
				t.Fatalf("failed payout = %s %s", got.Status, got.Code())
			}
			if w := must(f.c.GetWallet(f.ctx, w.ID))(t); w.Balance.Amount != 10000 {
				t.Fatalf("balance after a failed payout = %d, want 10000 (credited back)", w.Balance.Amount)
			}
		})
	}
}

func TestPayoutSettlesAfterDelay(t *testing.T) {
	f := newFixture(t, mangopaytest.WithPayoutDelay(time.Hour))
	u, w, b := f.payoutSetup(1000)
	po := must(f.c.CreatePayout(f.ctx, &mangopay.PayoutCreate{AuthorID: u.ID, DebitedWalletID: w.ID, DebitedFunds: eur(1000), Fees: eur(0), BankAccountID: b.ID}))(t)
	f.srv.Advance(59 * time.Minute)
	if got := must(f.c.GetPayout(f.ctx, po.ID))(t); !got.Pending() {
		t.Fatalf("after 59 min: %s", got.Status)
	}
	f.srv.Advance(2 * time.Minute)
	if got := must(f.c.GetPayout(f.ctx, po.ID))(t); !got.Succeeded() {
		t.Fatalf("after 61 min: %s", got.Status)
	}
}

func TestPayoutByLightUserFails(t *testing.T) {
	f := newFixture(t)
	u := f.owner(false)
	w, _ := f.fund(u.ID, 1000, 0)
	b := must(f.c.CreateIBANBankAccount(f.ctx, u.ID, &mangopay.IBANBankAccountCreate{OwnerName: "Jane Doe", OwnerAddress: parisAddress(), IBAN: testIBAN}))(t)
	po, err := f.c.CreatePayout(f.ctx, &mangopay.PayoutCreate{AuthorID: u.ID, DebitedWalletID: w.ID, DebitedFunds: eur(500), Fees: eur(0), BankAccountID: b.ID})
	if err != nil {
		t.Fatalf("a KYC-blocked payout is a FAILED value, not an error: %v", err)
	}
	if !po.Failed() || (po.Code() != mangopay.ResultCodeKYCLimitDebitedUser && po.Code() != mangopay.ResultCodeKYCLimitBankAccountOwner) {
		t.Fatalf("payout = %s %s", po.Status, po.Code())
	}
}
