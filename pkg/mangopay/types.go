package mangopay

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Transaction statuses (pay-ins, transfers, payouts, refunds).
const (
	TransactionStatusCreated   = "CREATED"
	TransactionStatusSucceeded = "SUCCEEDED"
	TransactionStatusFailed    = "FAILED"
)

// Transaction types.
const (
	TransactionTypePayIn      = "PAYIN"
	TransactionTypeTransfer   = "TRANSFER"
	TransactionTypeConversion = "CONVERSION"
	TransactionTypePayOut     = "PAYOUT"
)

// Transaction natures.
const (
	NatureRegular     = "REGULAR"
	NatureRepudiation = "REPUDIATION"
	NatureRefund      = "REFUND"
	NatureSettlement  = "SETTLEMENT"
)

// Payment types of pay-ins and payouts.
const (
	PaymentTypeCard          = "CARD"
	PaymentTypeDirectDebit   = "DIRECT_DEBIT"
	PaymentTypePreauthorized = "PREAUTHORIZED"
	PaymentTypeBankWire      = "BANK_WIRE"
)

// Execution types of pay-ins.
const (
	ExecutionTypeWeb                 = "WEB"
	ExecutionTypeDirect              = "DIRECT"
	ExecutionTypeExternalInstruction = "EXTERNAL_INSTRUCTION"
)

// Secure modes of card pay-ins and preauthorizations.
const (
	SecureModeDefault  = "DEFAULT"
	SecureModeForce    = "FORCE"
	SecureModeNoChoice = "NO_CHOICE"
)

// Payment categories of card pay-ins.
const (
	PaymentCategoryECommerce      = "ECommerce"
	PaymentCategoryTelephoneOrder = "TelephoneOrder"
)

// Result codes callers commonly branch on (see the reference §21).
const (
	ResultCodeSuccess                  = "000000"
	ResultCodeInsufficientBalance      = "001001"
	ResultCodeAuthorNotWalletOwner     = "001002"
	ResultCodeCaptureAboveRemaining    = "001505"
	ResultCodeKYCLimitBankAccountOwner = "002998"
	ResultCodeKYCLimitDebitedUser      = "002999"
	ResultCodeRefusedByBank            = "101101"
	ResultCodeSameWallet               = "101108"
	ResultCode3DSFailed                = "101301"
	ResultCode3DSExpired               = "101304"
	ResultCodeCardNotActive            = "101410"
	ResultCodePayoutBankAccountClosed  = "121006"
	ResultCodePayoutExpired            = "121009"
)

// Common list filter keys, for ListOptions.Filters.
const (
	FilterStatus     = "Status"
	FilterType       = "Type"
	FilterNature     = "Nature"
	FilterResultCode = "ResultCode"
	FilterEventType  = "EventType"
	FilterBeforeDate = "BeforeDate"
	FilterAfterDate  = "AfterDate"
	FilterActive     = "Active"
)

// Money is an amount in the currency's minor unit: EUR 12.60 is
// Money{Currency: "EUR", Amount: 1260}.
type Money struct {
	Currency string `json:"Currency"`
	Amount   int64  `json:"Amount"`
}

// String formats m as "1260 EUR" (minor units).
func (m Money) String() string { return fmt.Sprintf("%d %s", m.Amount, m.Currency) }

// Address is the v2.01 address object. Unset fields are not sent; null
// fields in responses read as "".
type Address struct {
	AddressLine1 string `json:"AddressLine1,omitempty"`
	AddressLine2 string `json:"AddressLine2,omitempty"`
	City         string `json:"City,omitempty"`
	// Region is required when Country is US, CA or MX.
	Region     string `json:"Region,omitempty"`
	PostalCode string `json:"PostalCode,omitempty"`
	// Country is ISO 3166-1 alpha-2.
	Country string `json:"Country,omitempty"`
}

// IsZero reports whether every field of a is empty, as Mangopay returns
// for a PAYER legal user's HeadquartersAddress.
func (a *Address) IsZero() bool { return a == nil || *a == Address{} }

// Billing is the billing identity of a card payment.
type Billing struct {
	FirstName string   `json:"FirstName,omitempty"`
	LastName  string   `json:"LastName,omitempty"`
	Address   *Address `json:"Address,omitempty"`
}

// Shipping is the shipping identity of a card payment; Address is
// required when Shipping is sent.
type Shipping struct {
	FirstName string   `json:"FirstName,omitempty"`
	LastName  string   `json:"LastName,omitempty"`
	Address   *Address `json:"Address,omitempty"`
}

// BrowserInfo describes the payer's browser for 3DS2. Every field is
// required when BrowserInfo is sent, so none is omitted when false or 0.
type BrowserInfo struct {
	AcceptHeader string `json:"AcceptHeader"`
	JavaEnabled  bool   `json:"JavaEnabled"`
	// Language is e.g. "en-US" or "FR-FR".
	Language          string         `json:"Language"`
	ColorDepth        int            `json:"ColorDepth"`
	ScreenHeight      int            `json:"ScreenHeight"`
	ScreenWidth       int            `json:"ScreenWidth"`
	TimeZoneOffset    TimeZoneOffset `json:"TimeZoneOffset"`
	UserAgent         string         `json:"UserAgent"`
	JavascriptEnabled bool           `json:"JavascriptEnabled"`
}

// TimeZoneOffset is the browser's offset from UTC in minutes. It is sent
// as a JSON number, the documented type; it decodes from a number or from
// a numeric string such as "+60" or "-120", which some SDKs send and the
// API may echo back.
type TimeZoneOffset int

// UnmarshalJSON accepts a number, a numeric string or null.
func (t *TimeZoneOffset) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "null" {
		return nil
	}
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		s = strings.TrimSpace(s)
		if s == "" {
			*t = 0
			return nil
		}
	}
	n, err := parseWholeNumber(s)
	if err != nil {
		return fmt.Errorf("mangopay: TimeZoneOffset %q is not a whole number of minutes", s)
	}
	*t = TimeZoneOffset(n)
	return nil
}

// parseWholeNumber parses "60", "+60", "-60" or "60.0" into an int within
// the range of a time-zone offset written in minutes or seconds.
func parseWholeNumber(s string) (int, error) {
	if n, err := strconv.Atoi(s); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > math.MaxInt32 {
		return 0, fmt.Errorf("not a whole number: %q", s)
	}
	return int(f), nil
}

// SecurityInfo holds the address verification result of a card payment.
type SecurityInfo struct {
	// AVSResult is FULL_MATCH, ADDRESS_MATCH_ONLY, POSTAL_CODE_MATCH_ONLY,
	// NO_MATCH or NO_CHECK.
	AVSResult *string `json:"AVSResult"`
}

// CardInfo describes the card used by a payment.
type CardInfo struct {
	BIN               *string `json:"BIN"`
	IssuingBank       *string `json:"IssuingBank"`
	IssuerCountryCode *string `json:"IssuerCountryCode"`
	// Type is DEBIT, CREDIT or CHARGE CARD.
	Type    *string `json:"Type"`
	Brand   *string `json:"Brand"`
	SubType *string `json:"SubType"`
}

// Transaction holds the fields shared by pay-ins, transfers, payouts and
// refunds. A business failure (Status FAILED with a ResultCode) is a
// normal value, not an error.
type Transaction struct {
	ID           string `json:"Id"`
	Tag          string `json:"Tag"`
	CreationDate int64  `json:"CreationDate"`
	AuthorID     string `json:"AuthorId"`
	// CreditedUserID is null on refunds to a card and on payouts.
	CreditedUserID *string `json:"CreditedUserId"`
	DebitedFunds   Money   `json:"DebitedFunds"`
	CreditedFunds  Money   `json:"CreditedFunds"`
	Fees           Money   `json:"Fees"`
	// Status is one of the TransactionStatus constants.
	Status string `json:"Status"`
	// ResultCode is null while CREATED and "000000" on success.
	ResultCode    *string `json:"ResultCode"`
	ResultMessage *string `json:"ResultMessage"`
	// ExecutionDate is set only once the transaction SUCCEEDED.
	ExecutionDate *int64 `json:"ExecutionDate"`
	// Type is one of the TransactionType constants.
	Type string `json:"Type"`
	// Nature is one of the Nature constants.
	Nature           string  `json:"Nature"`
	CreditedWalletID *string `json:"CreditedWalletId"`
	DebitedWalletID  *string `json:"DebitedWalletId"`
}

// Succeeded reports whether the transaction's Status is SUCCEEDED.
func (t *Transaction) Succeeded() bool { return t.Status == TransactionStatusSucceeded }

// Failed reports whether the transaction's Status is FAILED.
func (t *Transaction) Failed() bool { return t.Status == TransactionStatusFailed }

// Pending reports whether the transaction is still CREATED.
func (t *Transaction) Pending() bool { return t.Status == TransactionStatusCreated }

// Code returns the ResultCode, or "" while there is none.
func (t *Transaction) Code() string { return StringValue(t.ResultCode) }

// Int64 returns a pointer to v, for optional request fields where 0 is a
// real value (a Birthday of 1970-01-01).
func Int64(v int64) *int64 { return &v }

// Bool returns a pointer to b, for optional request fields whose false
// must be sent only when meant (TermsAndConditionsAccepted on updates).
func Bool(b bool) *bool { return &b }

// StringValue returns *p, or "" when p is nil.
func StringValue(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// Int64Value returns *p, or 0 when p is nil.
func Int64Value(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// Time converts Mangopay Unix seconds to a UTC time.
func Time(sec int64) time.Time { return time.Unix(sec, 0).UTC() }

// TimePtr converts nullable Unix seconds; nil gives the zero time.
func TimePtr(sec *int64) time.Time {
	if sec == nil {
		return time.Time{}
	}
	return Time(*sec)
}

// Date returns midnight UTC of the given day in Unix seconds, the form
// Mangopay expects for birthdays so that the date does not shift.
func Date(year int, month time.Month, day int) int64 {
	return time.Date(year, month, day, 0, 0, 0, 0, time.UTC).Unix()
}

// escape escapes one path segment (an id or key).
func escape(s string) string { return url.PathEscape(s) }

// isJSONNull reports whether b is the JSON literal null.
func isJSONNull(b []byte) bool { return bytes.Equal(bytes.TrimSpace(b), []byte("null")) }

// send runs a call with a body and decodes the response into a new T.
func send[T any](ctx context.Context, c *Client, method, path string, body any, opts []CallOption) (*T, error) {
	out := new(T)
	if _, err := c.call(ctx, method, path, nil, body, out, opts); err != nil {
		return nil, err
	}
	return out, nil
}

// get fetches one resource into a new T.
func get[T any](ctx context.Context, c *Client, path string, opts []CallOption) (*T, error) {
	return send[T](ctx, c, http.MethodGet, path, nil, opts)
}
