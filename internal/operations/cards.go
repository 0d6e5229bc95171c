package operations

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/problem"
	"github.com/lambda-mangopay/lambda-mangopay/internal/validate"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// Cards are registered in three steps, and card data never reaches us:
//  1. create-card-registration: we create the registration at Mangopay
//     and hand the browser what it needs to tokenize the card;
//  2. the browser posts the card to card_registration_url (Mangopay's
//     vault) and gets "data=<token>" (or "errorCode=<code>") back;
//  3. complete-card-registration: we pass that answer to Mangopay and, once
//     the registration is VALIDATED, write the CARD record from the card
//     Mangopay made. django-mangopay trusted a card id sent by the
//     browser; here the card is always the one of the registration.

// CardTypes are the card types a registration accepts.
func CardTypes() []string {
	return []string{mangopay.CardTypeCBVisaMastercard, mangopay.CardTypeAmex, mangopay.CardTypeMaestro, mangopay.CardTypeBCMC}
}

// payerKinds are the kinds of user record.
var payerKinds = []records.Kind{records.KindUserNatural, records.KindUserLegal}

// CardRegistrationInput is the body of POST
// /users/{user_id}/card-registrations.
type CardRegistrationInput struct {
	UserID   string `json:"user_id"`
	Currency string `json:"currency"`
	// CardType defaults to CB_VISA_MASTERCARD.
	CardType string `json:"card_type,omitempty"`
	Tag      string `json:"tag,omitempty"`
}

// Validate checks every field.
func (in *CardRegistrationInput) Validate(v *validate.Errors) {
	checkID(v, "user_id", in.UserID, payerKinds...)
	v.Currency("currency", in.Currency)
	v.OneOf("card_type", in.CardType, CardTypes()...)
	checkTag(v, in.Tag)
}

// CardRegistrationAnswer is the answer of create-card-registration: the
// record, plus what the browser needs to tokenize the card while the
// registration waits for it. These three values are never stored in the
// record (Mangopay keeps them; records.RedactRaw drops them).
type CardRegistrationAnswer struct {
	*records.Record
	// AccessKey is the form field accessKeyRef.
	AccessKey string `json:"access_key,omitempty"`
	// PreregistrationData is the form field data.
	PreregistrationData string `json:"preregistration_data,omitempty"`
	// CardRegistrationURL is where the browser posts the card form
	// (data, accessKeyRef, cardNumber, cardExpirationDate as MMYY, cardCvx).
	CardRegistrationURL string `json:"card_registration_url,omitempty"`
}

// CreateCardRegistration starts registering a card for a user.
func (s *Service) CreateCardRegistration(ctx context.Context, in *CardRegistrationInput, call api.Call) (api.Result, error) {
	user, err := s.synced(ctx, in.UserID, payerKinds...)
	if err != nil {
		return api.Result{}, err
	}
	draft := &records.Record{Kind: records.KindCardRegistration, OwnerRef: user.OwnerRef, ParentID: user.ID, Tag: in.Tag,
		CardRegistration: &records.CardRegistration{Currency: in.Currency, CardType: in.CardType}}
	var live *mangopay.CardRegistration
	res, err := s.create(ctx, call, draft, func(ctx context.Context, opts ...mangopay.CallOption) (func(*records.Record), error) {
		reg, err := s.MP.CreateCardRegistration(ctx, &mangopay.CardRegistrationCreate{
			UserID: user.MangopayID, Currency: in.Currency, CardType: in.CardType, Tag: in.Tag}, opts...)
		if err != nil {
			return nil, err
		}
		live = reg
		return func(r *records.Record) { applyCardRegistration(r, reg) }, nil
	})
	if err != nil || res.Status != http.StatusCreated {
		return res, err
	}
	rec := res.Body.(*records.Record)
	if live == nil && rec.Status == mangopay.CardRegistrationStatusCreated {
		// A retry of a request that already created the registration: the
		// tokenization values come from Mangopay, never from our table.
		if live, err = s.MP.GetCardRegistration(ctx, rec.MangopayID); err != nil {
			return api.Result{}, err
		}
	}
	ans := &CardRegistrationAnswer{Record: rec}
	if live != nil && live.Status == mangopay.CardRegistrationStatusCreated {
		ans.AccessKey, ans.PreregistrationData, ans.CardRegistrationURL = live.AccessKey, live.PreregistrationData, live.CardRegistrationURL
	}
	return api.Created(ans), nil
}

// applyCardRegistration writes Mangopay's registration into the record.
func applyCardRegistration(r *records.Record, m *mangopay.CardRegistration) {
	if r.CardRegistration == nil {
		r.CardRegistration = &records.CardRegistration{}
	}
	r.MangopayID, r.Status = m.ID, m.Status
	r.ResultCode, r.ResultMessage = mangopay.StringValue(m.ResultCode), mangopay.StringValue(m.ResultMessage)
	r.MangopayCreatedAt = mangopayTime(m.CreationDate)
	r.CardRegistration.Currency, r.CardRegistration.CardType = m.Currency, m.CardType
	r.CardRegistration.CardID = mangopay.StringValue(m.CardID)
}

// CompleteCardRegistrationInput is the body of PUT
// /card-registrations/{card_registration_id}. There is deliberately no
// card id: the card is the one Mangopay made for this registration.
type CompleteCardRegistrationInput struct {
	CardRegistrationID string `json:"card_registration_id"`
	// RegistrationData is the vault's whole answer, "data=…" or
	// "errorCode=…".
	RegistrationData string `json:"registration_data"`
	// CardHolderName (2 to 255 characters) is stored on the card.
	CardHolderName string `json:"card_holder_name,omitempty"`
}

// Validate checks every field.
func (in *CompleteCardRegistrationInput) Validate(v *validate.Errors) {
	checkID(v, "card_registration_id", in.CardRegistrationID, records.KindCardRegistration)
	if v.Required("registration_data", in.RegistrationData) && v.MaxLen("registration_data", in.RegistrationData, 4096) {
		v.Check(strings.HasPrefix(in.RegistrationData, "data=") || strings.HasPrefix(in.RegistrationData, "errorCode="),
			"registration_data", `must be the vault's whole answer, starting with "data=" or "errorCode="`)
	}
	if in.CardHolderName != "" {
		n := len([]rune(in.CardHolderName))
		v.Check(n >= 2 && n <= 255, "card_holder_name", "must be 2 to 255 characters")
	}
}

// CompleteCardRegistration passes the vault's answer to Mangopay and
// returns the CARD record of the card Mangopay made. Completing again
// returns the same card; a refused registration is a 422 with Mangopay's
// ResultCode, stored on the registration record.
func (s *Service) CompleteCardRegistration(ctx context.Context, in *CompleteCardRegistrationInput, _ api.Call) (api.Result, error) {
	reg, err := s.synced(ctx, in.CardRegistrationID, records.KindCardRegistration)
	if err != nil {
		return api.Result{}, err
	}
	if reg.CardRegistration == nil || reg.CardRegistration.CardID == "" {
		if reg.Status == mangopay.CardRegistrationStatusError {
			return api.Result{}, registrationRefused(reg)
		}
		if reg, err = s.submitRegistration(ctx, reg, in); err != nil {
			return api.Result{}, err
		}
		switch {
		case reg.Status == mangopay.CardRegistrationStatusError:
			return api.Result{}, registrationRefused(reg)
		case reg.CardRegistration.CardID == "":
			return api.Result{}, fmt.Errorf("card registration %s is %s at Mangopay without a card", reg.ID, reg.Status)
		}
	}
	card, err := s.ensureCard(ctx, reg)
	if err != nil {
		return api.Result{}, err
	}
	return api.OK(card), nil
}

// submitRegistration PUTs the registration data at Mangopay and stores the
// answer. Mangopay refuses a second completion: if an earlier attempt
// completed the registration and its answer was lost, the registration is
// read back instead.
func (s *Service) submitRegistration(ctx context.Context, reg *records.Record, in *CompleteCardRegistrationInput) (*records.Record, error) {
	var raw json.RawMessage
	m, err := s.MP.UpdateCardRegistration(ctx, reg.MangopayID, &mangopay.CardRegistrationUpdate{
		RegistrationData: in.RegistrationData, CardHolderName: in.CardHolderName}, mangopay.WithRawResponse(&raw))
	if mangopay.IsValidation(err) {
		got, gerr := s.MP.GetCardRegistration(ctx, reg.MangopayID, mangopay.WithRawResponse(&raw))
		if gerr != nil || got.Status == mangopay.CardRegistrationStatusCreated {
			return nil, err
		}
		m, err = got, nil
	}
	if err != nil {
		return nil, err
	}
	return s.Records.UpdateFrom(ctx, reg, func(r *records.Record) error {
		applyCardRegistration(r, m)
		r.Raw, r.SyncState, r.SyncError = raw, records.SyncSynced, ""
		return nil
	})
}

// registrationRefused is the 422 of a registration Mangopay put in ERROR.
func registrationRefused(reg *records.Record) error {
	return &api.Error{Status: http.StatusUnprocessableEntity, Title: "Card registration refused by Mangopay",
		Detail: fmt.Sprintf("card registration %s is %s with ResultCode %s: %s; create a new registration to try again",
			reg.ID, reg.Status, reg.ResultCode, reg.ResultMessage),
		Fields: []problem.FieldError{{Field: "registration_data", Reason: fmt.Sprintf("ResultCode %s: %s", reg.ResultCode, reg.ResultMessage)}}}
}

// cardRecordID is the id of the CARD record of a registration: the
// registration's own time-ordered part, so that every completion of one
// registration writes the same record.
func cardRecordID(registrationID string) string {
	return "crd_" + records.IdempotencyKey(registrationID)
}

// ensureCard returns the CARD record of a VALIDATED registration, writing
// it from Mangopay's card the first time.
func (s *Service) ensureCard(ctx context.Context, reg *records.Record) (*records.Record, error) {
	id := cardRecordID(reg.ID)
	card, err := s.Records.Get(ctx, id)
	if err == nil || !errors.Is(err, records.ErrNotFound) {
		return card, err
	}
	var raw json.RawMessage
	m, err := s.MP.GetCard(ctx, reg.CardRegistration.CardID, mangopay.WithRawResponse(&raw))
	if err != nil {
		return nil, err
	}
	card = &records.Record{ID: id, Kind: records.KindCard, OwnerRef: reg.OwnerRef, ParentID: reg.ID, Tag: reg.Tag,
		SyncState: records.SyncSynced, Raw: raw}
	applyCard(card, m)
	if err := s.Records.Create(ctx, card); errors.Is(err, records.ErrExists) {
		return s.Records.Get(ctx, id)
	} else if err != nil {
		return nil, fmt.Errorf("writing the card record of %s: %w", reg.ID, err)
	}
	return card, nil
}

// applyCard writes Mangopay's card into the record.
func applyCard(r *records.Record, m *mangopay.Card) {
	r.MangopayID = m.ID
	r.MangopayCreatedAt = mangopayTime(m.CreationDate)
	r.Card = &records.Card{Alias: m.Alias, ExpirationDate: m.ExpirationDate, CardType: m.CardType, CardProvider: m.CardProvider,
		Country: m.Country, Currency: m.Currency, Validity: m.Validity, Active: m.Active, Fingerprint: m.Fingerprint}
}

// CardInput names a card: GET and DELETE /cards/{card_id}.
type CardInput struct {
	CardID string `json:"card_id"`
}

// Validate checks the id.
func (in *CardInput) Validate(v *validate.Errors) {
	checkID(v, "card_id", in.CardID, records.KindCard)
}

// GetCard re-reads the card from Mangopay (expiry, alias, provider,
// active, validity), stores it and returns it.
func (s *Service) GetCard(ctx context.Context, in *CardInput, _ api.Call) (api.Result, error) {
	rec, err := s.synced(ctx, in.CardID, records.KindCard)
	if err != nil {
		return api.Result{}, err
	}
	var raw json.RawMessage
	m, err := s.MP.GetCard(ctx, rec.MangopayID, mangopay.WithRawResponse(&raw))
	if err != nil {
		return api.Result{}, err
	}
	if rec, err = s.storeCard(ctx, rec, m, raw); err != nil {
		return api.Result{}, err
	}
	return api.OK(rec), nil
}

// DeactivateCard deactivates a card for good at Mangopay and in its
// record. Deactivating it again answers the record as it is.
func (s *Service) DeactivateCard(ctx context.Context, in *CardInput, _ api.Call) (api.Result, error) {
	rec, err := s.synced(ctx, in.CardID, records.KindCard)
	if err != nil {
		return api.Result{}, err
	}
	if rec.Card != nil && !rec.Card.Active {
		return api.OK(rec), nil
	}
	var raw json.RawMessage
	m, err := s.MP.DeactivateCard(ctx, rec.MangopayID, mangopay.WithRawResponse(&raw))
	if mangopay.IsValidation(err) {
		// Already inactive (an earlier attempt's answer was lost): read it.
		got, gerr := s.MP.GetCard(ctx, rec.MangopayID, mangopay.WithRawResponse(&raw))
		if gerr != nil || got.Active {
			return api.Result{}, err
		}
		m, err = got, nil
	}
	if err != nil {
		return api.Result{}, err
	}
	if rec, err = s.storeCard(ctx, rec, m, raw); err != nil {
		return api.Result{}, err
	}
	return api.OK(rec), nil
}

// storeCard writes Mangopay's card into its record.
func (s *Service) storeCard(ctx context.Context, rec *records.Record, m *mangopay.Card, raw json.RawMessage) (*records.Record, error) {
	return s.Records.UpdateFrom(ctx, rec, func(r *records.Record) error {
		applyCard(r, m)
		r.Raw, r.SyncState, r.SyncError = raw, records.SyncSynced, ""
		return nil
	})
}
