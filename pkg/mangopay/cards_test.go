package mangopay_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
)

func TestCardRegistrationFlow(t *testing.T) {
	f := newFixture(t)
	u := f.payer()
	reg := must(f.c.CreateCardRegistration(f.ctx, &mangopay.CardRegistrationCreate{UserID: u.ID, Currency: "EUR", CardType: mangopay.CardTypeCBVisaMastercard, Tag: "reg-tag"}))(t)
	wantPrefix(t, "card registration", reg.ID, "cardreg_")
	if reg.Status != mangopay.CardRegistrationStatusCreated || reg.AccessKey == "" || reg.PreregistrationData == "" ||
		reg.CardRegistrationURL == "" || reg.CardID != nil || reg.RegistrationData != nil || reg.ResultCode != nil {
		t.Fatalf("registration = %+v", reg)
	}
	data := tokenize(t, reg, cardFrictionless, expiry(), "123")
	if !strings.HasPrefix(data, "data=") {
		t.Fatalf("vault answered %q", data)
	}
	done := must(f.c.UpdateCardRegistration(f.ctx, reg.ID, &mangopay.CardRegistrationUpdate{RegistrationData: data, CardHolderName: "Alex Smith"}))(t)
	if done.Status != mangopay.CardRegistrationStatusValidated || mangopay.StringValue(done.ResultCode) != mangopay.ResultCodeSuccess || done.CardID == nil {
		t.Fatalf("validated registration = %+v", done)
	}
	if got := must(f.c.GetCardRegistration(f.ctx, reg.ID))(t); got.Status != mangopay.CardRegistrationStatusValidated || *got.CardID != *done.CardID {
		t.Fatalf("GetCardRegistration = %+v", got)
	}

	card := must(f.c.GetCard(f.ctx, *done.CardID))(t)
	wantPrefix(t, "card", card.ID, "card_m_")
	if card.UserID != u.ID || !card.Active || card.Validity != mangopay.CardValidityUnknown || card.Currency != "EUR" ||
		!strings.HasPrefix(card.Alias, "497010") || !strings.HasSuffix(card.Alias, "1119") || len(card.Country) != 3 ||
		card.ExpirationDate != expiry() || mangopay.StringValue(card.CardHolderName) != "Alex Smith" || card.Tag != "reg-tag" || card.Fingerprint == "" {
		t.Fatalf("card = %+v", card)
	}
}

func TestCardRegistrationWithBadCardNumber(t *testing.T) {
	f := newFixture(t)
	u := f.payer()
	reg := must(f.c.CreateCardRegistration(f.ctx, &mangopay.CardRegistrationCreate{UserID: u.ID, Currency: "EUR"}))(t)
	data := tokenize(t, reg, "1234", expiry(), "123")
	if data != "errorCode=02625" {
		t.Fatalf("vault answered %q, want errorCode=02625", data)
	}
	done := must(f.c.UpdateCardRegistration(f.ctx, reg.ID, &mangopay.CardRegistrationUpdate{RegistrationData: data}))(t)
	if done.Status != mangopay.CardRegistrationStatusError || mangopay.StringValue(done.ResultCode) != "105202" || done.CardID != nil {
		t.Fatalf("registration = %s %s card=%v", done.Status, mangopay.StringValue(done.ResultCode), done.CardID)
	}
}

func TestCardListAndDeactivate(t *testing.T) {
	f := newFixture(t)
	u := f.payer()
	first := f.card(u.ID, cardFrictionless)
	f.card(u.ID, cardChallenge)
	page := must(f.c.ListCards(f.ctx, u.ID, nil))(t)
	if page.TotalItems != 2 || len(page.Items) != 2 {
		t.Fatalf("cards = %d (total %d)", len(page.Items), page.TotalItems)
	}
	off := must(f.c.DeactivateCard(f.ctx, first))(t)
	if off.Active {
		t.Fatal("card still active")
	}
	if v, ok := f.lastBody(http.MethodPut, "/cards/"+first)["Active"]; !ok || v != false {
		t.Fatalf("Active sent as %v (present %v)", v, ok)
	}
	_, err := f.c.DeactivateCard(f.ctx, first)
	var apiErr *mangopay.Error
	if !errors.As(err, &apiErr) || apiErr.Type != "card_already_not_active" {
		t.Fatalf("second deactivation: want card_already_not_active, got %v", err)
	}
	w := f.wallet(u.ID, "EUR")
	p := must(f.c.CreateCardDirectPayIn(f.ctx, cardPayIn(u.ID, w.ID, first, 1000, 0)))(t)
	if !p.Failed() || p.Code() != mangopay.ResultCodeCardNotActive {
		t.Fatalf("pay-in with a deactivated card = %s %s", p.Status, p.Code())
	}
}
