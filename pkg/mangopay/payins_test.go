package mangopay_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
)

func TestCardDirectPayInFrictionless(t *testing.T) {
	f := newFixture(t)
	u := f.payer()
	w := f.wallet(u.ID, "EUR")
	cardID := f.card(u.ID, cardFrictionless)
	params := cardPayIn(u.ID, w.ID, cardID, 1260, 60)
	params.Billing = &mangopay.Billing{FirstName: "Alex", LastName: "Smith", Address: parisAddress()}
	params.Shipping = &mangopay.Shipping{FirstName: "Alex", LastName: "Smith", Address: parisAddress()}
	p := must(f.c.CreateCardDirectPayIn(f.ctx, params))(t)
	wantPrefix(t, "pay-in", p.ID, "payin_m_", "wt_")
	if !p.Succeeded() || p.Code() != mangopay.ResultCodeSuccess || p.ExecutionDate == nil || p.SecureModeNeeded || p.SecureModeRedirectURL != nil {
		t.Fatalf("pay-in = %s %s exec=%v 3ds=%v", p.Status, p.Code(), p.ExecutionDate, p.SecureModeNeeded)
	}
	if p.DebitedFunds != eur(1260) || p.Fees != eur(60) || p.CreditedFunds != eur(1200) ||
		p.Type != mangopay.TransactionTypePayIn || p.Nature != mangopay.NatureRegular ||
		p.PaymentType != mangopay.PaymentTypeCard || p.ExecutionType != mangopay.ExecutionTypeDirect ||
		mangopay.StringValue(p.CreditedWalletID) != w.ID || p.DebitedWalletID != nil || mangopay.StringValue(p.CardID) != cardID {
		t.Fatalf("pay-in = %+v", p)
	}
	if p.BrowserInfo == nil || p.BrowserInfo.TimeZoneOffset != -60 || !p.BrowserInfo.JavascriptEnabled || mangopay.StringValue(p.IPAddress) != "2001:db8::1" {
		t.Fatalf("browser info echoed as %+v ip=%v", p.BrowserInfo, p.IPAddress)
	}
	if p.Billing == nil || p.Billing.Address.City != "Paris" || p.Shipping == nil || mangopay.StringValue(p.StatementDescriptor) != "Shop" {
		t.Fatalf("billing/shipping/descriptor = %+v %+v %v", p.Billing, p.Shipping, p.StatementDescriptor)
	}
	if !strings.Contains(mangopay.StringValue(p.SecureModeReturnURL), "transactionId="+p.ID) {
		t.Fatalf("SecureModeReturnURL = %v", mangopay.StringValue(p.SecureModeReturnURL))
	}
	// JavaEnabled false and TimeZoneOffset are on the wire; the offset as a
	// JSON number.
	bi := f.lastBody(http.MethodPost, "/payins/card/direct")["BrowserInfo"].(map[string]any)
	if v, ok := bi["JavaEnabled"]; !ok || v != false {
		t.Fatalf("JavaEnabled sent as %v (present %v)", v, ok)
	}
	if bi["TimeZoneOffset"] != float64(-60) {
		t.Fatalf("TimeZoneOffset sent as %#v", bi["TimeZoneOffset"])
	}
	if w := must(f.c.GetWallet(f.ctx, w.ID))(t); w.Balance.Amount != 1200 {
		t.Fatalf("balance = %d, want 1200", w.Balance.Amount)
	}
	if fees := f.srv.FeesBalance("EUR"); fees != 60 {
		t.Fatalf("platform fees = %d, want 60", fees)
	}
	if card := must(f.c.GetCard(f.ctx, cardID))(t); card.Validity != mangopay.CardValidityValid {
		t.Fatalf("card validity = %s", card.Validity)
	}
}

func TestCardDirectPayIn3DS(t *testing.T) {
	for _, ok := range []bool{true, false} {
		t.Run(map[bool]string{true: "completed", false: "failed"}[ok], func(t *testing.T) {
			f := newFixture(t)
			u := f.payer()
			w := f.wallet(u.ID, "EUR")
			cardID := f.card(u.ID, cardChallenge)
			params := cardPayIn(u.ID, w.ID, cardID, 5000, 0)
			params.SecureMode = mangopay.SecureModeForce
			p := must(f.c.CreateCardDirectPayIn(f.ctx, params))(t)
			if !p.Pending() || !p.SecureModeNeeded || p.SecureModeRedirectURL == nil || p.ResultCode != nil || p.ExecutionDate != nil {
				t.Fatalf("3DS pay-in = %s needed=%v redirect=%v code=%v exec=%v", p.Status, p.SecureModeNeeded, p.SecureModeRedirectURL, p.ResultCode, p.ExecutionDate)
			}
			f.check(f.srv.Complete3DS(p.ID, ok))
			got := must(f.c.GetPayIn(f.ctx, p.ID))(t)
			want, code, balance := mangopay.TransactionStatusSucceeded, mangopay.ResultCodeSuccess, int64(5000)
			if !ok {
				want, code, balance = mangopay.TransactionStatusFailed, mangopay.ResultCode3DSFailed, 0
			}
			if got.Status != want || got.Code() != code {
				t.Fatalf("after 3DS: %s %s, want %s %s", got.Status, got.Code(), want, code)
			}
			if (got.ExecutionDate != nil) != ok {
				t.Fatalf("ExecutionDate = %v", got.ExecutionDate)
			}
			if w := must(f.c.GetWallet(f.ctx, w.ID))(t); w.Balance.Amount != balance {
				t.Fatalf("balance = %d, want %d", w.Balance.Amount, balance)
			}
		})
	}
}

func TestRefusedPayInIsAValueNotAnError(t *testing.T) {
	f := newFixture(t)
	u := f.payer()
	w := f.wallet(u.ID, "EUR")
	cardID := f.card(u.ID, cardFrictionless)
	p, err := f.c.CreateCardDirectPayIn(f.ctx, cardPayIn(u.ID, w.ID, cardID, 33305, 0))
	if err != nil {
		t.Fatalf("a refused payment must not be an error: %v", err)
	}
	if !p.Failed() || p.Code() != mangopay.ResultCodeRefusedByBank || mangopay.StringValue(p.ResultMessage) == "" || p.ExecutionDate != nil {
		t.Fatalf("pay-in = %s %s %v", p.Status, p.Code(), p.ResultMessage)
	}
	if w := must(f.c.GetWallet(f.ctx, w.ID))(t); w.Balance.Amount != 0 {
		t.Fatalf("balance = %d after a refused pay-in", w.Balance.Amount)
	}
}

func TestPayInCurrencyMismatchIsAnError(t *testing.T) {
	f := newFixture(t)
	u := f.payer()
	w := f.wallet(u.ID, "GBP")
	cardID := f.card(u.ID, cardFrictionless)
	_, err := f.c.CreateCardDirectPayIn(f.ctx, cardPayIn(u.ID, w.ID, cardID, 1000, 0))
	var apiErr *mangopay.Error
	if !errors.As(err, &apiErr) || apiErr.Type != mangopay.TypeCurrencyIncompatibility {
		t.Fatalf("want currency_incompatibility, got %v", err)
	}
}

func TestCardWebPayIn(t *testing.T) {
	f := newFixture(t)
	u := f.payer()
	w := f.wallet(u.ID, "EUR")
	p := must(f.c.CreateCardWebPayIn(f.ctx, &mangopay.CardWebPayInCreate{
		AuthorID: u.ID, CreditedWalletID: w.ID, DebitedFunds: eur(2000), Fees: eur(100),
		ReturnURL: "https://example.com/back", CardType: mangopay.CardTypeCBVisaMastercard, Culture: "FR",
	}))(t)
	if !p.Pending() || p.ExecutionType != mangopay.ExecutionTypeWeb || p.PaymentType != mangopay.PaymentTypeCard ||
		p.RedirectURL == nil || !strings.Contains(mangopay.StringValue(p.ReturnURL), "transactionId="+p.ID) || p.TemplateURL != nil {
		t.Fatalf("web pay-in = %+v", p)
	}
	got := must(f.c.GetPayIn(f.ctx, p.ID))(t)
	if got.ID != p.ID || mangopay.StringValue(got.RedirectURL) != mangopay.StringValue(p.RedirectURL) {
		t.Fatalf("GetPayIn = %+v", got)
	}
}

func TestBankWireDirectPayIn(t *testing.T) {
	f := newFixture(t)
	u := f.payer()
	w := f.wallet(u.ID, "EUR")
	p := must(f.c.CreateBankWireDirectPayIn(f.ctx, &mangopay.BankWireDirectPayInCreate{
		AuthorID: u.ID, CreditedWalletID: w.ID, DeclaredDebitedFunds: eur(10000), DeclaredFees: eur(500),
	}))(t)
	if !p.Pending() || p.PaymentType != mangopay.PaymentTypeBankWire || p.ExecutionType != mangopay.ExecutionTypeDirect ||
		mangopay.StringValue(p.WireReference) == "" || p.BankAccount == nil || p.BankAccount.IBAN == "" ||
		p.DeclaredDebitedFunds == nil || *p.DeclaredDebitedFunds != eur(10000) || *p.DeclaredFees != eur(500) {
		t.Fatalf("bank wire pay-in = %+v (bank account %+v)", p, p.BankAccount)
	}
	f.check(f.srv.ReceiveBankWire(p.ID, 10000))
	got := must(f.c.GetPayIn(f.ctx, p.ID))(t)
	if !got.Succeeded() || got.CreditedFunds.Amount != 9500 {
		t.Fatalf("after the wire: %s credited %d", got.Status, got.CreditedFunds.Amount)
	}
	if w := must(f.c.GetWallet(f.ctx, w.ID))(t); w.Balance.Amount != 9500 {
		t.Fatalf("balance = %d, want 9500", w.Balance.Amount)
	}
}

func TestGetUnknownPayIn(t *testing.T) {
	f := newFixture(t)
	if _, err := f.c.GetPayIn(f.ctx, "payin_m_NOPE"); !mangopay.IsNotFound(err) {
		t.Fatalf("want 404, got %v", err)
	}
}
