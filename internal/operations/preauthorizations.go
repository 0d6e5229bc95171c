package operations

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/validate"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// A preauthorization holds funds on a card for 6.5 days, without moving
// them; captures (pay-ins of type PREAUTHORIZED, one or several partial
// ones up to the amount held) move them into a wallet. A hold on which
// nothing was captured may be cancelled.

// PreauthorizationInput is the body of POST /preauthorizations.
type PreauthorizationInput struct {
	// AuthorID is the paying user (usn_ or usl_), who owns the card.
	AuthorID     string        `json:"author_id"`
	DebitedFunds records.Money `json:"debited_funds"`
	CardPaymentInput
	Tag string `json:"tag,omitempty"`
}

// Validate checks every field.
func (in *PreauthorizationInput) Validate(v *validate.Errors) {
	checkID(v, "author_id", in.AuthorID, payerKinds...)
	checkMoney(v, "debited_funds", in.DebitedFunds)
	in.CardPaymentInput.check(v)
	checkTag(v, in.Tag)
}

// CreatePreauthorization holds funds on a card of the author. The
// answer's redirect_url is the 3-D Secure page when Mangopay asks for it.
func (s *Service) CreatePreauthorization(ctx context.Context, in *PreauthorizationInput, call api.Call) (api.Result, error) {
	var live *mangopay.PreAuthorization
	res, err := s.createTx(ctx, call, records.KindPreauthorization,
		func(ctx context.Context) (*records.Record, error) { return s.checkPreauthorization(ctx, in) },
		func(ctx context.Context, rec *records.Record, opts ...mangopay.CallOption) (func(*records.Record), error) {
			x := rec.Transaction
			pa, err := s.MP.CreatePreAuthorization(ctx, &mangopay.PreAuthorizationCreate{
				AuthorID: x.AuthorID, DebitedFunds: toMangopayMoney(x.DebitedFunds), CardID: x.CardID,
				SecureModeReturnURL: x.SecureModeReturnURL, SecureMode: x.SecureMode, StatementDescriptor: x.StatementDescriptor,
				BrowserInfo: in.BrowserInfo.mangopay(), IPAddress: in.IPAddress, Culture: in.Culture, Tag: rec.Tag,
			}, opts...)
			if err != nil {
				return nil, err
			}
			live = pa
			now := s.now()
			return func(r *records.Record) { applyPreauthorization(r, pa, now, true) }, nil
		})
	return withPaymentAnswer(res, err, func(rec *records.Record) any { return preauthorizationAnswer(rec, live) })
}

// checkPreauthorization checks the author and card against our records and
// builds the draft record.
func (s *Service) checkPreauthorization(ctx context.Context, in *PreauthorizationInput) (*records.Record, error) {
	var author, card *records.Record
	if err := s.loadPaymentRefs(ctx,
		paymentRefSpec{"author_id", in.AuthorID, payerKinds, &author},
		paymentRefSpec{"card_id", in.CardID, []records.Kind{records.KindCard}, &card}); err != nil {
		return nil, err
	}
	var v validate.Errors
	checkPaymentCard(&v, card, payerOf(author), "debited_funds.currency", in.DebitedFunds.Currency)
	if errs := v.List(); errs != nil {
		return nil, api.Invalid(errs...)
	}
	held := in.DebitedFunds
	return &records.Record{Kind: records.KindPreauthorization, OwnerRef: author.OwnerRef, ParentID: card.ID, Tag: in.Tag,
		Transaction: &records.Transaction{PaymentType: mangopay.PaymentTypeCard, ExecutionType: mangopay.ExecutionTypeDirect,
			AuthorID: author.MangopayID, DebitedFunds: in.DebitedFunds, RemainingFunds: &held,
			CardID: card.MangopayID, SecureMode: in.SecureMode, SecureModeReturnURL: in.SecureModeReturnURL,
			StatementDescriptor: in.StatementDescriptor}}, nil
}

// applyPreauthorization writes Mangopay's preauthorization into the
// record. Status is the authorization (CREATED while 3-D Secure waits, then
// SUCCEEDED or FAILED); Transaction.PaymentStatus the hold.
func applyPreauthorization(r *records.Record, m *mangopay.PreAuthorization, now time.Time, fresh bool) {
	if r.Transaction == nil {
		r.Transaction = &records.Transaction{}
	}
	r.MangopayID, r.Status = m.ID, m.Status
	r.ResultCode, r.ResultMessage = mangopay.StringValue(m.ResultCode), mangopay.StringValue(m.ResultMessage)
	r.MangopayCreatedAt = mangopayTime(m.CreationDate)
	x := r.Transaction
	x.PaymentType, x.ExecutionType, x.AuthorID = m.PaymentType, m.ExecutionType, m.AuthorID
	x.DebitedFunds = fromMangopayMoney(m.DebitedFunds)
	remaining := fromMangopayMoney(m.RemainingFunds)
	x.RemainingFunds = &remaining
	x.PaymentStatus = m.PaymentStatus
	x.AuthorizationDate, x.HoldExpiresAt = mangopayTimePtr(m.AuthorizationDate), mangopayTimePtr(m.ExpirationDate)
	x.CardID, x.SecureMode, x.SecureModeNeeded = m.CardID, m.SecureMode, m.SecureModeNeeded
	x.SecureModeReturnURL = mangopay.StringValue(m.SecureModeReturnURL)
	x.SecureModeRedirectURL = mangopay.StringValue(m.SecureModeRedirectURL)
	x.StatementDescriptor = mangopay.StringValue(m.StatementDescriptor)
	markRecheck(r, now, fresh)
}

// preauthorizationAnswer builds the answer of a preauthorization record;
// live is Mangopay's latest answer when we have it.
func preauthorizationAnswer(rec *records.Record, live *mangopay.PreAuthorization) *PaymentAnswer {
	ans := &PaymentAnswer{Record: rec}
	if live == nil {
		live = &mangopay.PreAuthorization{}
		if len(rec.Raw) == 0 || json.Unmarshal(rec.Raw, live) != nil {
			return ans
		}
	}
	if rec.Status == mangopay.TransactionStatusCreated && live.SecureModeNeeded {
		ans.RedirectURL = mangopay.StringValue(live.SecureModeRedirectURL)
	}
	return ans
}

// PreauthorizationIDInput names a preauthorization: GET
// /preauthorizations/{preauthorization_id}[?refresh=true] and POST
// /preauthorizations/{preauthorization_id}/cancel.
type PreauthorizationIDInput struct {
	PreauthorizationID string `json:"preauthorization_id"`
	// Refresh (GET only) re-reads it from Mangopay and stores it first.
	Refresh bool `json:"refresh,omitempty"`
}

// Validate checks the id.
func (in *PreauthorizationIDInput) Validate(v *validate.Errors) {
	checkID(v, "preauthorization_id", in.PreauthorizationID, records.KindPreauthorization)
}

// GetPreauthorization answers a preauthorization from its record, or
// re-reads it from Mangopay first on refresh.
func (s *Service) GetPreauthorization(ctx context.Context, in *PreauthorizationIDInput, _ api.Call) (api.Result, error) {
	if !in.Refresh {
		rec, err := s.load(ctx, in.PreauthorizationID, records.KindPreauthorization)
		if err != nil {
			return api.Result{}, err
		}
		return api.OK(preauthorizationAnswer(rec, nil)), nil
	}
	rec, err := s.synced(ctx, in.PreauthorizationID, records.KindPreauthorization)
	if err != nil {
		return api.Result{}, err
	}
	rec, live, err := s.refreshPreauthorization(ctx, rec)
	if err != nil {
		return api.Result{}, err
	}
	return api.OK(preauthorizationAnswer(rec, live)), nil
}

// refreshPreauthorization reads the preauthorization from Mangopay into
// its record.
func (s *Service) refreshPreauthorization(ctx context.Context, rec *records.Record) (*records.Record, *mangopay.PreAuthorization, error) {
	var raw json.RawMessage
	m, err := s.MP.GetPreAuthorization(ctx, rec.MangopayID, mangopay.WithRawResponse(&raw))
	if err != nil {
		return nil, nil, err
	}
	rec, err = s.storePreauthorization(ctx, rec, m, raw)
	return rec, m, err
}

func (s *Service) storePreauthorization(ctx context.Context, rec *records.Record, m *mangopay.PreAuthorization, raw json.RawMessage) (*records.Record, error) {
	now := s.now()
	return s.Records.UpdateFrom(ctx, rec, func(r *records.Record) error {
		applyPreauthorization(r, m, now, false)
		r.Raw, r.SyncState, r.SyncError = raw, records.SyncSynced, ""
		return nil
	})
}

// CancelPreauthorization releases a hold on which nothing was captured.
// Cancelling again answers the cancelled preauthorization; a hold already
// captured from, validated or expired is a 409.
func (s *Service) CancelPreauthorization(ctx context.Context, in *PreauthorizationIDInput, _ api.Call) (api.Result, error) {
	rec, err := s.synced(ctx, in.PreauthorizationID, records.KindPreauthorization)
	if err != nil {
		return api.Result{}, err
	}
	rec, live, err := s.refreshPreauthorization(ctx, rec)
	if err != nil {
		return api.Result{}, err
	}
	if err := cancellable(rec, live); err != nil || live.PaymentStatus == mangopay.PaymentStatusCanceled {
		if err != nil {
			return api.Result{}, err
		}
		return api.OK(preauthorizationAnswer(rec, live)), nil
	}
	var raw json.RawMessage
	m, err := s.MP.CancelPreAuthorization(ctx, rec.MangopayID, mangopay.WithRawResponse(&raw))
	if mangopay.IsValidation(err) {
		// Its state changed since we read it (a capture, or a cancel whose
		// answer was lost): read it again and answer from that.
		if rec, live, rerr := s.refreshPreauthorization(ctx, rec); rerr == nil {
			if cerr := cancellable(rec, live); cerr != nil {
				return api.Result{}, cerr
			}
			if live.PaymentStatus == mangopay.PaymentStatusCanceled {
				return api.OK(preauthorizationAnswer(rec, live)), nil
			}
		}
		return api.Result{}, err
	}
	if err != nil {
		return api.Result{}, err
	}
	if rec, err = s.storePreauthorization(ctx, rec, m, raw); err != nil {
		return api.Result{}, err
	}
	return api.OK(preauthorizationAnswer(rec, m)), nil
}

// cancellable says why a preauthorization cannot be cancelled (409), or
// nil: still WAITING with nothing captured, or already CANCELED.
func cancellable(rec *records.Record, m *mangopay.PreAuthorization) error {
	switch {
	case m.PaymentStatus == mangopay.PaymentStatusCanceled:
		return nil
	case m.PaymentStatus != mangopay.PaymentStatusWaiting:
		return api.Conflict(fmt.Sprintf("preauthorization %s cannot be cancelled: its hold is %s", rec.ID, m.PaymentStatus))
	case m.PayInID != nil || m.RemainingFunds.Amount < m.DebitedFunds.Amount:
		return api.Conflict(fmt.Sprintf("preauthorization %s cannot be cancelled: %d of its %d %s were captured",
			rec.ID, m.DebitedFunds.Amount-m.RemainingFunds.Amount, m.DebitedFunds.Amount, m.DebitedFunds.Currency))
	}
	return nil
}

// CaptureInput is the body of POST
// /preauthorizations/{preauthorization_id}/captures: a pay-in of part or
// all of what remains of the hold.
type CaptureInput struct {
	PreauthorizationID string `json:"preauthorization_id"`
	// CreditedWalletID is a wallet (wlt_) of the preauthorization's author.
	CreditedWalletID string        `json:"credited_wallet_id"`
	DebitedFunds     records.Money `json:"debited_funds"`
	Fees             records.Money `json:"fees"`
	Tag              string        `json:"tag,omitempty"`
}

// Validate checks every field.
func (in *CaptureInput) Validate(v *validate.Errors) {
	checkID(v, "preauthorization_id", in.PreauthorizationID, records.KindPreauthorization)
	checkID(v, "credited_wallet_id", in.CreditedWalletID, records.KindWallet)
	checkPayInFunds(v, "debited_funds", "fees", in.DebitedFunds, in.Fees)
	checkTag(v, in.Tag)
}

// CapturePreauthorization captures funds of a preauthorization into a
// wallet of its author: a PAYIN record (PaymentType PREAUTHORIZED, ParentID
// the preauthorization's record). Before calling Mangopay, the
// preauthorization is read again from Mangopay: it must be authorized
// (SUCCEEDED), its hold WAITING, and the amount at most what remains. Should
// Mangopay still refuse (a capture made meanwhile elsewhere), its FAILED
// pay-in (ResultCode 001505) is stored and answered like any pay-in.
func (s *Service) CapturePreauthorization(ctx context.Context, in *CaptureInput, call api.Call) (api.Result, error) {
	var live *mangopay.PayIn
	res, err := s.createTx(ctx, call, records.KindPayIn,
		func(ctx context.Context) (*records.Record, error) { return s.checkCapture(ctx, in) },
		func(ctx context.Context, rec *records.Record, opts ...mangopay.CallOption) (func(*records.Record), error) {
			x := rec.Transaction
			p, err := s.MP.CapturePreAuthorization(ctx, &mangopay.PreAuthorizationCapture{
				PreauthorizationID: x.PreauthorizationID, CreditedWalletID: x.CreditedWalletID,
				DebitedFunds: toMangopayMoney(x.DebitedFunds), Fees: toMangopayMoney(x.Fees), AuthorID: x.AuthorID, Tag: rec.Tag,
			}, opts...)
			if err != nil {
				return nil, err
			}
			live = p
			return s.payInApplier(p, true), nil
		})
	if err == nil && res.Status == http.StatusCreated {
		// Keep the preauthorization's remaining funds and hold status
		// current; the capture's answer does not depend on it.
		if rec, ok := res.Body.(*records.Record); ok {
			if pre, lerr := s.synced(ctx, rec.ParentID, records.KindPreauthorization); lerr == nil {
				_, _, _ = s.refreshPreauthorization(ctx, pre)
			}
		}
	}
	return withPaymentAnswer(res, err, func(rec *records.Record) any { return payInAnswer(rec, live) })
}

// checkCapture checks a capture against our records and against the
// preauthorization as Mangopay has it now, and builds the draft record.
func (s *Service) checkCapture(ctx context.Context, in *CaptureInput) (*records.Record, error) {
	pre, err := s.synced(ctx, in.PreauthorizationID, records.KindPreauthorization)
	if err != nil {
		return nil, err
	}
	var wallet *records.Record
	if err := s.loadPaymentRefs(ctx,
		paymentRefSpec{"credited_wallet_id", in.CreditedWalletID, []records.Kind{records.KindWallet}, &wallet}); err != nil {
		return nil, err
	}
	if pre.Transaction == nil {
		return nil, fmt.Errorf("preauthorization record %s has no transaction part", pre.ID)
	}
	author := payer{OwnerRef: pre.OwnerRef, MangopayID: pre.Transaction.AuthorID}
	var v validate.Errors
	held := pre.Transaction.DebitedFunds.Currency
	if v.Check(in.DebitedFunds.Currency == held, "debited_funds.currency", "must be the preauthorization's currency ("+held+")") {
		checkCreditedWallet(&v, "credited_wallet_id", wallet, author, "debited_funds.currency", held)
	}
	if errs := v.List(); errs != nil {
		return nil, api.Invalid(errs...)
	}
	pre, live, err := s.refreshPreauthorization(ctx, pre)
	if err != nil {
		return nil, err
	}
	switch {
	case live.Status == mangopay.TransactionStatusCreated:
		return nil, stateConflict("preauthorization %s is not authorized yet (3-D Secure pending); capture it once it is SUCCEEDED", pre.ID)
	case live.Status != mangopay.TransactionStatusSucceeded:
		return nil, api.Conflict(fmt.Sprintf("preauthorization %s is %s (ResultCode %s): nothing can be captured", pre.ID, live.Status, pre.ResultCode))
	case live.PaymentStatus != mangopay.PaymentStatusWaiting:
		return nil, api.Conflict(fmt.Sprintf("preauthorization %s cannot be captured: its hold is %s", pre.ID, live.PaymentStatus))
	case in.DebitedFunds.Amount > live.RemainingFunds.Amount:
		return nil, api.InvalidField("debited_funds.amount", "must be at most what remains of preauthorization %s: %d %s",
			pre.ID, live.RemainingFunds.Amount, live.RemainingFunds.Currency)
	}
	return &records.Record{Kind: records.KindPayIn, OwnerRef: pre.OwnerRef, ParentID: pre.ID, Tag: in.Tag,
		Transaction: &records.Transaction{Type: mangopay.TransactionTypePayIn, Nature: mangopay.NatureRegular,
			PaymentType: mangopay.PaymentTypePreauthorized, ExecutionType: mangopay.ExecutionTypeDirect,
			AuthorID: pre.Transaction.AuthorID, CreditedWalletID: wallet.MangopayID,
			DebitedFunds: in.DebitedFunds, Fees: in.Fees, CreditedFunds: creditedFunds(in.DebitedFunds, in.Fees),
			PreauthorizationID: pre.MangopayID}}, nil
}
