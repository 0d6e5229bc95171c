package operations

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/url"
	"regexp"
	"slices"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/validate"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// What card pay-ins, web pay-ins, bank-wire pay-ins, preauthorizations and
// their captures share: the records a request names, who owns them, the
// card payment fields and the shape of the answer.

// paymentRef loads a SYNCED record named by a request field: an unknown id is a
// 400 naming the field, a record Mangopay does not know yet a 409.
func (s *Service) paymentRef(ctx context.Context, field, id string, kinds ...records.Kind) (*records.Record, error) {
	rec, err := s.synced(ctx, id, kinds...)
	var e *api.Error
	if errors.As(err, &e) && e.Status == 404 {
		return nil, api.InvalidField(field, "no %s record has the id %q", kindList(kinds), id)
	}
	return rec, err
}

// payer is the user a payment is made for: our record id when known, the
// calling system's id, and Mangopay's id.
type payer struct {
	ID, OwnerRef, MangopayID string
}

func payerOf(u *records.Record) payer {
	return payer{ID: u.ID, OwnerRef: u.OwnerRef, MangopayID: u.MangopayID}
}

// payerRawOwners is what Mangopay says of an object's owner: Owners on a
// wallet, UserId on a card.
type payerRawOwners struct {
	Owners []string `json:"Owners"`
	UserID string   `json:"UserId"`
}

// belongsToPayer reports whether a wallet or card record belongs to the user:
// the same calling-system id, and, where the record says it, the same user
// record (ParentID) and Mangopay owner.
func belongsToPayer(rec *records.Record, p payer) bool {
	if rec.OwnerRef != p.OwnerRef {
		return false
	}
	if k, ok := records.KindOfID(rec.ParentID); ok && slices.Contains(payerKinds, k) && p.ID != "" && rec.ParentID != p.ID {
		return false
	}
	var o payerRawOwners
	if len(rec.Raw) > 0 && json.Unmarshal(rec.Raw, &o) == nil {
		if len(o.Owners) > 0 && !slices.Contains(o.Owners, p.MangopayID) {
			return false
		}
		if o.UserID != "" && o.UserID != p.MangopayID {
			return false
		}
	}
	return true
}

// checkCreditedWallet checks that a credited wallet belongs to the author and
// holds the currency debited.
func checkCreditedWallet(v *validate.Errors, field string, w *records.Record, author payer, currencyField, currency string) {
	if !v.Check(belongsToPayer(w, author), field, "belongs to another user than the author") {
		return
	}
	if w.Wallet != nil && w.Wallet.Currency != currency {
		v.Add(currencyField, "must be the currency of the credited wallet (%s)", w.Wallet.Currency)
	}
}

// checkPaymentCard checks that a card belongs to the author and holds the
// currency debited. Whether it is still active is Mangopay's to say
// (ResultCode 101410, stored on the record).
func checkPaymentCard(v *validate.Errors, c *records.Record, author payer, currencyField, currency string) {
	if !v.Check(belongsToPayer(c, author), "card_id", "belongs to another user than the author") {
		return
	}
	if c.Card == nil {
		return
	}
	if c.Card.Currency != currency {
		v.Add(currencyField, "must be the currency of the card (%s)", c.Card.Currency)
	}
}

// checkNotAllFees refuses fees equal to what is debited: nothing would be
// credited, and Mangopay fails such a payment (ResultCode 001014).
func checkNotAllFees(v *validate.Errors, debitedField, feesField string, debited, fees records.Money) {
	v.Check(fees.Amount < debited.Amount || debited.Amount == 0, feesField+".amount",
		"must be less than "+debitedField+".amount: nothing would be credited (Mangopay fails it with ResultCode 001014)")
}

// BrowserInfoInput describes the payer's browser, for 3DS2. Every field is
// required.
type BrowserInfoInput struct {
	AcceptHeader      string `json:"accept_header"`
	JavaEnabled       *bool  `json:"java_enabled"`
	Language          string `json:"language"`
	ColorDepth        *int   `json:"color_depth"`
	ScreenHeight      *int   `json:"screen_height"`
	ScreenWidth       *int   `json:"screen_width"`
	TimeZoneOffset    *int   `json:"time_zone_offset"`
	UserAgent         string `json:"user_agent"`
	JavascriptEnabled *bool  `json:"javascript_enabled"`
}

var (
	browserLanguageRe     = regexp.MustCompile(`^[a-zA-Z]{2}(-[a-zA-Z]{2})?$`)
	statementDescriptorRe = regexp.MustCompile(`^[A-Za-z0-9 ]{1,10}$`)
	paymentCultureRe      = regexp.MustCompile(`^[A-Z]{2}$`)
)

func (b *BrowserInfoInput) check(v *validate.Errors, prefix string) {
	if b == nil {
		v.Add(prefix[:len(prefix)-1], "is required for 3-D Secure 2 (the payer's browser)")
		return
	}
	if v.Required(prefix+"accept_header", b.AcceptHeader) {
		v.MaxLen(prefix+"accept_header", b.AcceptHeader, 255)
	}
	if v.Required(prefix+"language", b.Language) {
		v.Check(browserLanguageRe.MatchString(b.Language), prefix+"language", "must be a language tag such as en-US or FR")
	}
	if v.Required(prefix+"user_agent", b.UserAgent) {
		v.MaxLen(prefix+"user_agent", b.UserAgent, 255)
	}
	v.Check(b.JavaEnabled != nil, prefix+"java_enabled", "is required")
	v.Check(b.JavascriptEnabled != nil, prefix+"javascript_enabled", "is required")
	for _, f := range []struct {
		name string
		n    *int
	}{{"color_depth", b.ColorDepth}, {"screen_height", b.ScreenHeight}, {"screen_width", b.ScreenWidth}} {
		if v.Check(f.n != nil, prefix+f.name, "is required") {
			v.Check(*f.n > 0 && *f.n <= 100000, prefix+f.name, "must be a positive number")
		}
	}
	if v.Check(b.TimeZoneOffset != nil, prefix+"time_zone_offset", "is required (minutes from UTC)") {
		v.Check(*b.TimeZoneOffset >= -900 && *b.TimeZoneOffset <= 900, prefix+"time_zone_offset", "must be -900 to 900 minutes")
	}
}

func (b *BrowserInfoInput) mangopay() *mangopay.BrowserInfo {
	if b == nil {
		return nil
	}
	deref := func(p *int) int {
		if p == nil {
			return 0
		}
		return *p
	}
	return &mangopay.BrowserInfo{AcceptHeader: b.AcceptHeader, JavaEnabled: b.JavaEnabled != nil && *b.JavaEnabled,
		Language: b.Language, ColorDepth: deref(b.ColorDepth), ScreenHeight: deref(b.ScreenHeight), ScreenWidth: deref(b.ScreenWidth),
		TimeZoneOffset: mangopay.TimeZoneOffset(deref(b.TimeZoneOffset)), UserAgent: b.UserAgent,
		JavascriptEnabled: b.JavascriptEnabled != nil && *b.JavascriptEnabled}
}

// SecureModes are the 3-D Secure choices of card payments.
func SecureModes() []string {
	return []string{mangopay.SecureModeDefault, mangopay.SecureModeForce, mangopay.SecureModeNoChoice}
}

// CardPaymentInput holds the fields of a payment by a registered card
// (card pay-ins and preauthorizations).
type CardPaymentInput struct {
	CardID string `json:"card_id"`
	// SecureModeReturnURL is where the payer lands after 3-D Secure.
	SecureModeReturnURL string `json:"secure_mode_return_url"`
	// SecureMode is DEFAULT (the default), FORCE or NO_CHOICE.
	SecureMode  string            `json:"secure_mode,omitempty"`
	BrowserInfo *BrowserInfoInput `json:"browser_info"`
	// IPAddress is the payer's IPv4 or IPv6 address.
	IPAddress string `json:"ip_address"`
	// StatementDescriptor is up to 10 letters, digits and spaces shown on
	// the payer's statement.
	StatementDescriptor string `json:"statement_descriptor,omitempty"`
	// Culture is the language of the 3-D Secure page, e.g. EN or FR.
	Culture string `json:"culture,omitempty"`
}

func (c *CardPaymentInput) check(v *validate.Errors) {
	checkID(v, "card_id", c.CardID, records.KindCard)
	checkReturnURL(v, "secure_mode_return_url", c.SecureModeReturnURL, 255)
	v.OneOf("secure_mode", c.SecureMode, SecureModes()...)
	c.BrowserInfo.check(v, "browser_info.")
	if v.Required("ip_address", c.IPAddress) {
		v.Check(net.ParseIP(c.IPAddress) != nil, "ip_address", "must be the payer's IPv4 or IPv6 address")
	}
	checkStatementDescriptor(v, c.StatementDescriptor)
	if c.Culture != "" {
		v.Check(paymentCultureRe.MatchString(c.Culture), "culture", "must be two upper-case letters, e.g. EN or FR")
	}
}

// checkReturnURL requires an absolute http(s) URL of at most max characters.
func checkReturnURL(v *validate.Errors, field, s string, max int) {
	if !v.Required(field, s) || !v.MaxLen(field, s, max) {
		return
	}
	u, err := url.Parse(s)
	v.Check(err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "", field, "must be an absolute http(s) URL")
}

// checkStatementDescriptor checks an optional statement descriptor.
func checkStatementDescriptor(v *validate.Errors, s string) {
	if s != "" {
		v.Check(statementDescriptorRe.MatchString(s), "statement_descriptor", "must be 1 to 10 letters, digits or spaces")
	}
}

// PaymentAnswer is the answer of the pay-in and preauthorization
// operations: the record, plus what the caller must do next, read from
// Mangopay's answer (or, for a stored record, from its raw payload).
type PaymentAnswer struct {
	*records.Record
	// RedirectURL is where to send the payer now: the 3-D Secure page of a
	// card pay-in or preauthorization, the payment page of a web pay-in.
	// Absent once the payment no longer waits for the payer.
	RedirectURL string `json:"redirect_url,omitempty"`
	// Bank-wire pay-ins: the payer wires DeclaredDebitedFunds to
	// BankAccount quoting WireReference.
	WireReference        string           `json:"wire_reference,omitempty"`
	BankAccount          *WireBankAccount `json:"bank_account,omitempty"`
	DeclaredDebitedFunds *records.Money   `json:"declared_debited_funds,omitempty"`
	DeclaredFees         *records.Money   `json:"declared_fees,omitempty"`
}

// WireBankAccount is the account a bank-wire pay-in is sent to.
type WireBankAccount struct {
	Type          string           `json:"type"`
	OwnerName     string           `json:"owner_name,omitempty"`
	OwnerAddress  *records.Address `json:"owner_address,omitempty"`
	IBAN          string           `json:"iban,omitempty"`
	BIC           string           `json:"bic,omitempty"`
	AccountNumber string           `json:"account_number,omitempty"`
	SortCode      string           `json:"sort_code,omitempty"`
	ABA           string           `json:"aba,omitempty"`
	Country       string           `json:"country,omitempty"`
}

// payInAnswer builds the answer of a pay-in record; live is Mangopay's
// latest answer when we have it (nil: read the record's raw payload).
func payInAnswer(rec *records.Record, live *mangopay.PayIn) *PaymentAnswer {
	ans := &PaymentAnswer{Record: rec}
	if live == nil {
		live = &mangopay.PayIn{}
		if len(rec.Raw) == 0 || json.Unmarshal(rec.Raw, live) != nil {
			return ans
		}
	}
	if rec.Status == mangopay.TransactionStatusCreated {
		switch {
		case live.SecureModeNeeded:
			ans.RedirectURL = mangopay.StringValue(live.SecureModeRedirectURL)
		case live.ExecutionType == mangopay.ExecutionTypeWeb:
			ans.RedirectURL = mangopay.StringValue(live.RedirectURL)
		}
	}
	if live.PaymentType == mangopay.PaymentTypeBankWire {
		ans.WireReference = mangopay.StringValue(live.WireReference)
		if b := live.BankAccount; b != nil {
			ans.BankAccount = &WireBankAccount{Type: b.Type, OwnerName: b.OwnerName, OwnerAddress: fromMangopayAddress(b.OwnerAddress),
				IBAN: b.IBAN, BIC: b.BIC, AccountNumber: b.AccountNumber, SortCode: b.SortCode, ABA: b.ABA, Country: b.Country}
		}
		if m := live.DeclaredDebitedFunds; m != nil {
			d := fromMangopayMoney(*m)
			ans.DeclaredDebitedFunds = &d
		}
		if m := live.DeclaredFees; m != nil {
			f := fromMangopayMoney(*m)
			ans.DeclaredFees = &f
		}
	}
	return ans
}

// withPaymentAnswer turns a create's 201 record into the operation's answer; a
// 202 (queued) keeps the bare record.
func withPaymentAnswer(res api.Result, err error, build func(*records.Record) any) (api.Result, error) {
	if err != nil {
		return res, err
	}
	if rec, ok := res.Body.(*records.Record); ok && res.Status == 201 {
		res.Body = build(rec)
	}
	return res, nil
}
