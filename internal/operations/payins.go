package operations

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/problem"
	"github.com/lambda-mangopay/lambda-mangopay/internal/validate"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// Pay-ins bring money into a wallet: by a registered card (direct, with
// 3-D Secure when the issuer asks), on Mangopay's hosted payment page
// (web), or by bank wire. Each is created once whatever the retries (the
// create protocol of transactions.go, createTx): its record is written
// PENDING before Mangopay is called with the Idempotency-Key derived from
// it. Mangopay's Status, ResultCode, ResultMessage and ExecutionDate are
// stored on every answer; a refused payment (Status FAILED) is an answer
// like a success, stored and returned with 201. A pay-in Mangopay leaves
// CREATED (3-D Secure, payment page, a wire not yet received) is due for a
// re-check at once, until GET ?refresh=true, a hook or the re-check
// schedule sees its final status.

// CardPayInInput is the body of POST /payins/card/direct.
type CardPayInInput struct {
	// AuthorID is the paying user (usn_ or usl_), who owns the card.
	AuthorID string `json:"author_id"`
	// CreditedWalletID is the author's wallet (wlt_) to credit.
	CreditedWalletID string        `json:"credited_wallet_id"`
	DebitedFunds     records.Money `json:"debited_funds"`
	Fees             records.Money `json:"fees"`
	CardPaymentInput
	Tag string `json:"tag,omitempty"`
}

// Validate checks every field.
func (in *CardPayInInput) Validate(v *validate.Errors) {
	checkID(v, "author_id", in.AuthorID, payerKinds...)
	checkID(v, "credited_wallet_id", in.CreditedWalletID, records.KindWallet)
	checkPayInFunds(v, "debited_funds", "fees", in.DebitedFunds, in.Fees)
	in.CardPaymentInput.check(v)
	checkTag(v, in.Tag)
}

// checkPayInFunds checks debited funds and fees: fees in the same currency,
// 0 <= fees < debited.
func checkPayInFunds(v *validate.Errors, debitedField, feesField string, debited, fees records.Money) {
	okD := checkMoney(v, debitedField, debited)
	if checkFeesOf(v, debitedField, feesField, debited, fees) && okD {
		checkNotAllFees(v, debitedField, feesField, debited, fees)
	}
}

// CreateCardPayIn charges a registered card of the author into the
// author's wallet. The answer's redirect_url is the 3-D Secure page when
// Mangopay asks for it.
func (s *Service) CreateCardPayIn(ctx context.Context, in *CardPayInInput, call api.Call) (api.Result, error) {
	var live *mangopay.PayIn
	res, err := s.createTx(ctx, call, records.KindPayIn,
		func(ctx context.Context) (*records.Record, error) { return s.checkCardPayIn(ctx, in) },
		func(ctx context.Context, rec *records.Record, opts ...mangopay.CallOption) (func(*records.Record), error) {
			x := rec.Transaction
			p, err := s.MP.CreateCardDirectPayIn(ctx, &mangopay.CardDirectPayInCreate{
				AuthorID: x.AuthorID, CreditedWalletID: x.CreditedWalletID,
				DebitedFunds: toMangopayMoney(x.DebitedFunds), Fees: toMangopayMoney(x.Fees),
				CardID: x.CardID, SecureModeReturnURL: x.SecureModeReturnURL, SecureMode: x.SecureMode,
				StatementDescriptor: x.StatementDescriptor, BrowserInfo: in.BrowserInfo.mangopay(), IPAddress: in.IPAddress,
				Culture: in.Culture, Tag: rec.Tag,
			}, opts...)
			if err != nil {
				return nil, err
			}
			live = p
			return s.payInApplier(p, true), nil
		})
	return withPaymentAnswer(res, err, func(rec *records.Record) any { return payInAnswer(rec, live) })
}

// checkCardPayIn checks the author, wallet and card against our records
// and builds the draft record.
func (s *Service) checkCardPayIn(ctx context.Context, in *CardPayInInput) (*records.Record, error) {
	var author, wallet, card *records.Record
	if err := s.loadPaymentRefs(ctx,
		paymentRefSpec{"author_id", in.AuthorID, payerKinds, &author},
		paymentRefSpec{"credited_wallet_id", in.CreditedWalletID, []records.Kind{records.KindWallet}, &wallet},
		paymentRefSpec{"card_id", in.CardID, []records.Kind{records.KindCard}, &card}); err != nil {
		return nil, err
	}
	var v validate.Errors
	p, cur := payerOf(author), in.DebitedFunds.Currency
	checkCreditedWallet(&v, "credited_wallet_id", wallet, p, "debited_funds.currency", cur)
	checkPaymentCard(&v, card, p, "debited_funds.currency", cur)
	if errs := v.List(); errs != nil {
		return nil, api.Invalid(errs...)
	}
	return &records.Record{Kind: records.KindPayIn, OwnerRef: author.OwnerRef, ParentID: card.ID, Tag: in.Tag,
		Transaction: &records.Transaction{Type: mangopay.TransactionTypePayIn, Nature: mangopay.NatureRegular,
			PaymentType: mangopay.PaymentTypeCard, ExecutionType: mangopay.ExecutionTypeDirect,
			AuthorID: author.MangopayID, CreditedWalletID: wallet.MangopayID,
			DebitedFunds: in.DebitedFunds, Fees: in.Fees, CreditedFunds: creditedFunds(in.DebitedFunds, in.Fees),
			CardID: card.MangopayID, SecureMode: in.SecureMode, SecureModeReturnURL: in.SecureModeReturnURL,
			StatementDescriptor: in.StatementDescriptor}}, nil
}

// creditedFunds is what a payment credits: debited minus fees.
func creditedFunds(debited, fees records.Money) records.Money {
	return records.Money{Amount: debited.Amount - fees.Amount, Currency: debited.Currency}
}

// paymentRefSpec names a record a request refers to, and where to put it.
type paymentRefSpec struct {
	field, id string
	kinds     []records.Kind
	into      **records.Record
}

// loadPaymentRefs loads every named record; the unknown ones make one 400
// naming all their fields.
func (s *Service) loadPaymentRefs(ctx context.Context, refs ...paymentRefSpec) error {
	var fields []problem.FieldError
	for _, r := range refs {
		rec, err := s.paymentRef(ctx, r.field, r.id, r.kinds...)
		var e *api.Error
		if errors.As(err, &e) && e.Status == 400 {
			fields = append(fields, e.Fields...)
			continue
		}
		if err != nil {
			return err
		}
		*r.into = rec
	}
	if fields != nil {
		return api.Invalid(fields...)
	}
	return nil
}

// payInApplier returns how to write Mangopay's pay-in into its record:
// fresh for the answer to our create (due for a re-check at once if
// CREATED), not fresh for a refresh (the re-check schedule is kept).
func (s *Service) payInApplier(p *mangopay.PayIn, fresh bool) func(*records.Record) {
	now := s.now()
	return func(r *records.Record) { applyPayIn(r, p, now, fresh) }
}

// applyPayIn writes Mangopay's pay-in of any kind into the record.
func applyPayIn(r *records.Record, p *mangopay.PayIn, now time.Time, fresh bool) {
	applyTransaction(r, &p.Transaction)
	markRecheck(r, now, fresh)
	x := r.Transaction
	x.PaymentType, x.ExecutionType = p.PaymentType, p.ExecutionType
	x.CardID, x.SecureMode, x.SecureModeNeeded = mangopay.StringValue(p.CardID), p.SecureMode, p.SecureModeNeeded
	x.SecureModeReturnURL = mangopay.StringValue(p.SecureModeReturnURL)
	x.SecureModeRedirectURL = mangopay.StringValue(p.SecureModeRedirectURL)
	x.StatementDescriptor = mangopay.StringValue(p.StatementDescriptor)
	x.PreauthorizationID = mangopay.StringValue(p.PreauthorizationID)
	x.BankWireRef = mangopay.StringValue(p.WireReference)
}

// WebCultures are the languages of Mangopay's payment page.
func WebCultures() []string {
	return []string{"CS", "DA", "DE", "EL", "EN", "ES", "FI", "FR", "HU", "IT", "NL", "NO", "PL", "PT", "SK", "SV"}
}

// WebPayInInput is the body of POST /payins/card/web.
type WebPayInInput struct {
	AuthorID         string        `json:"author_id"`
	CreditedWalletID string        `json:"credited_wallet_id"`
	DebitedFunds     records.Money `json:"debited_funds"`
	Fees             records.Money `json:"fees"`
	// ReturnURL is where the payer lands after the payment page.
	ReturnURL string `json:"return_url"`
	// CardType defaults to CB_VISA_MASTERCARD.
	CardType string `json:"card_type,omitempty"`
	// Culture is the page's language; default EN.
	Culture             string `json:"culture,omitempty"`
	SecureMode          string `json:"secure_mode,omitempty"`
	StatementDescriptor string `json:"statement_descriptor,omitempty"`
	Tag                 string `json:"tag,omitempty"`
}

// Validate checks every field.
func (in *WebPayInInput) Validate(v *validate.Errors) {
	checkID(v, "author_id", in.AuthorID, payerKinds...)
	checkID(v, "credited_wallet_id", in.CreditedWalletID, records.KindWallet)
	checkPayInFunds(v, "debited_funds", "fees", in.DebitedFunds, in.Fees)
	checkReturnURL(v, "return_url", in.ReturnURL, 220)
	v.OneOf("card_type", in.CardType, CardTypes()...)
	v.OneOf("culture", in.Culture, WebCultures()...)
	v.OneOf("secure_mode", in.SecureMode, SecureModes()...)
	checkStatementDescriptor(v, in.StatementDescriptor)
	checkTag(v, in.Tag)
}

// CreateWebPayIn starts a payment on Mangopay's hosted page, into the
// author's wallet: send the payer to the answer's redirect_url.
func (s *Service) CreateWebPayIn(ctx context.Context, in *WebPayInInput, call api.Call) (api.Result, error) {
	var live *mangopay.PayIn
	res, err := s.createTx(ctx, call, records.KindPayIn,
		func(ctx context.Context) (*records.Record, error) {
			author, wallet, err := s.payInWallet(ctx, in.AuthorID, in.CreditedWalletID, "debited_funds.currency", in.DebitedFunds.Currency)
			if err != nil {
				return nil, err
			}
			return &records.Record{Kind: records.KindPayIn, OwnerRef: author.OwnerRef, ParentID: wallet.ID, Tag: in.Tag,
				Transaction: &records.Transaction{Type: mangopay.TransactionTypePayIn, Nature: mangopay.NatureRegular,
					PaymentType: mangopay.PaymentTypeCard, ExecutionType: mangopay.ExecutionTypeWeb,
					AuthorID: author.MangopayID, CreditedWalletID: wallet.MangopayID,
					DebitedFunds: in.DebitedFunds, Fees: in.Fees, CreditedFunds: creditedFunds(in.DebitedFunds, in.Fees),
					SecureMode: in.SecureMode, StatementDescriptor: in.StatementDescriptor}}, nil
		},
		func(ctx context.Context, rec *records.Record, opts ...mangopay.CallOption) (func(*records.Record), error) {
			x := rec.Transaction
			cardType, culture := in.CardType, in.Culture
			if cardType == "" {
				cardType = mangopay.CardTypeCBVisaMastercard
			}
			if culture == "" {
				culture = "EN"
			}
			p, err := s.MP.CreateCardWebPayIn(ctx, &mangopay.CardWebPayInCreate{
				AuthorID: x.AuthorID, CreditedWalletID: x.CreditedWalletID,
				DebitedFunds: toMangopayMoney(x.DebitedFunds), Fees: toMangopayMoney(x.Fees),
				ReturnURL: in.ReturnURL, CardType: cardType, Culture: culture, SecureMode: x.SecureMode,
				StatementDescriptor: x.StatementDescriptor, Tag: rec.Tag,
			}, opts...)
			if err != nil {
				return nil, err
			}
			live = p
			return s.payInApplier(p, true), nil
		})
	return withPaymentAnswer(res, err, func(rec *records.Record) any { return payInAnswer(rec, live) })
}

// payInWallet loads the author and the credited wallet, which must be the
// author's and hold the currency paid in.
func (s *Service) payInWallet(ctx context.Context, authorID, walletID, currencyField, currency string) (author, wallet *records.Record, err error) {
	if err := s.loadPaymentRefs(ctx,
		paymentRefSpec{"author_id", authorID, payerKinds, &author},
		paymentRefSpec{"credited_wallet_id", walletID, []records.Kind{records.KindWallet}, &wallet}); err != nil {
		return nil, nil, err
	}
	var v validate.Errors
	checkCreditedWallet(&v, "credited_wallet_id", wallet, payerOf(author), currencyField, currency)
	if errs := v.List(); errs != nil {
		return nil, nil, api.Invalid(errs...)
	}
	return author, wallet, nil
}

// BankWirePayInInput is the body of POST /payins/bankwire/direct.
type BankWirePayInInput struct {
	AuthorID         string `json:"author_id"`
	CreditedWalletID string `json:"credited_wallet_id"`
	// DeclaredDebitedFunds is what the author says they will wire.
	DeclaredDebitedFunds records.Money `json:"declared_debited_funds"`
	// DeclaredFees is the platform's fee on it.
	DeclaredFees records.Money `json:"declared_fees"`
	Tag          string        `json:"tag,omitempty"`
}

// Validate checks every field.
func (in *BankWirePayInInput) Validate(v *validate.Errors) {
	checkID(v, "author_id", in.AuthorID, payerKinds...)
	checkID(v, "credited_wallet_id", in.CreditedWalletID, records.KindWallet)
	checkPayInFunds(v, "declared_debited_funds", "declared_fees", in.DeclaredDebitedFunds, in.DeclaredFees)
	checkTag(v, in.Tag)
}

// CreateBankWirePayIn declares a bank wire into the author's wallet. The
// answer gives the wire reference and the account to wire to; the
// reference is kept on the record (transaction.bank_wire_ref), the whole
// instructions in its raw payload (where Mangopay's IBAN is masked, so a
// plain GET shows it masked and GET ?refresh=true in full).
func (s *Service) CreateBankWirePayIn(ctx context.Context, in *BankWirePayInInput, call api.Call) (api.Result, error) {
	var live *mangopay.PayIn
	res, err := s.createTx(ctx, call, records.KindPayIn,
		func(ctx context.Context) (*records.Record, error) {
			author, wallet, err := s.payInWallet(ctx, in.AuthorID, in.CreditedWalletID,
				"declared_debited_funds.currency", in.DeclaredDebitedFunds.Currency)
			if err != nil {
				return nil, err
			}
			zero := records.Money{Currency: in.DeclaredDebitedFunds.Currency}
			return &records.Record{Kind: records.KindPayIn, OwnerRef: author.OwnerRef, ParentID: wallet.ID, Tag: in.Tag,
				Transaction: &records.Transaction{Type: mangopay.TransactionTypePayIn, Nature: mangopay.NatureRegular,
					PaymentType: mangopay.PaymentTypeBankWire, ExecutionType: mangopay.ExecutionTypeDirect,
					AuthorID: author.MangopayID, CreditedWalletID: wallet.MangopayID,
					DebitedFunds: zero, Fees: zero, CreditedFunds: zero}}, nil
		},
		func(ctx context.Context, rec *records.Record, opts ...mangopay.CallOption) (func(*records.Record), error) {
			x := rec.Transaction
			p, err := s.MP.CreateBankWireDirectPayIn(ctx, &mangopay.BankWireDirectPayInCreate{
				AuthorID: x.AuthorID, CreditedWalletID: x.CreditedWalletID,
				DeclaredDebitedFunds: toMangopayMoney(in.DeclaredDebitedFunds), DeclaredFees: toMangopayMoney(in.DeclaredFees),
				Tag: rec.Tag,
			}, opts...)
			if err != nil {
				return nil, err
			}
			live = p
			return s.payInApplier(p, true), nil
		})
	return withPaymentAnswer(res, err, func(rec *records.Record) any { return payInAnswer(rec, live) })
}

// GetPayInInput is GET /payins/{payin_id}[?refresh=true].
type GetPayInInput struct {
	PayInID string `json:"payin_id"`
	// Refresh re-reads the pay-in from Mangopay and stores it first.
	Refresh bool `json:"refresh,omitempty"`
}

// Validate checks the id.
func (in *GetPayInInput) Validate(v *validate.Errors) {
	checkID(v, "payin_id", in.PayInID, records.KindPayIn)
}

// GetPayIn answers a pay-in (card, web, bank wire or capture) from its
// record, or re-reads it from Mangopay first on refresh.
func (s *Service) GetPayIn(ctx context.Context, in *GetPayInInput, _ api.Call) (api.Result, error) {
	if !in.Refresh {
		rec, err := s.load(ctx, in.PayInID, records.KindPayIn)
		if err != nil {
			return api.Result{}, err
		}
		return api.OK(payInAnswer(rec, nil)), nil
	}
	rec, err := s.synced(ctx, in.PayInID, records.KindPayIn)
	if err != nil {
		return api.Result{}, err
	}
	var raw json.RawMessage
	p, err := s.MP.GetPayIn(ctx, rec.MangopayID, mangopay.WithRawResponse(&raw))
	if err != nil {
		return api.Result{}, err
	}
	apply := s.payInApplier(p, false)
	rec, err = s.Records.UpdateFrom(ctx, rec, func(r *records.Record) error {
		apply(r)
		r.Raw, r.SyncState, r.SyncError = raw, records.SyncSynced, ""
		return nil
	})
	if err != nil {
		return api.Result{}, err
	}
	return api.OK(payInAnswer(rec, p)), nil
}
