package mangopay

import (
	"context"
	"net/http"
)

// PayIn is a pay-in of any kind (card direct, card web, bank wire,
// preauthorized capture). GET /payins/{id} returns every kind, so PayIn
// carries the fields of all of them; those of other kinds stay zero or nil.
// A refused payment comes back as a value with Status FAILED and a
// ResultCode, not as an error.
type PayIn struct {
	Transaction
	// PaymentType is one of the PaymentType constants.
	PaymentType string `json:"PaymentType"`
	// ExecutionType is one of the ExecutionType constants.
	ExecutionType string `json:"ExecutionType"`

	// Card direct (and preauthorization) fields.
	CardID                       *string       `json:"CardId"`
	SecureMode                   string        `json:"SecureMode"`
	SecureModeReturnURL          *string       `json:"SecureModeReturnURL"`
	SecureModeRedirectURL        *string       `json:"SecureModeRedirectURL"`
	SecureModeNeeded             bool          `json:"SecureModeNeeded"`
	Culture                      *string       `json:"Culture"`
	SecurityInfo                 *SecurityInfo `json:"SecurityInfo"`
	StatementDescriptor          *string       `json:"StatementDescriptor"`
	BrowserInfo                  *BrowserInfo  `json:"BrowserInfo"`
	IPAddress                    *string       `json:"IpAddress"`
	Billing                      *Billing      `json:"Billing"`
	Shipping                     *Shipping     `json:"Shipping"`
	Requested3DSVersion          *string       `json:"Requested3DSVersion"`
	Applied3DSVersion            *string       `json:"Applied3DSVersion"`
	RecurringPayinRegistrationID *string       `json:"RecurringPayinRegistrationId"`
	PreferredCardNetwork         *string       `json:"PreferredCardNetwork"`
	PaymentCategory              *string       `json:"PaymentCategory"`
	CardInfo                     *CardInfo     `json:"CardInfo"`

	// Card web fields: send the user to RedirectURL.
	RedirectURL *string `json:"RedirectURL"`
	ReturnURL   *string `json:"ReturnURL"`
	TemplateURL *string `json:"TemplateURL"`
	CardType    *string `json:"CardType"`

	// Bank wire fields: the user wires DeclaredDebitedFunds to BankAccount
	// quoting WireReference.
	DeclaredDebitedFunds *Money       `json:"DeclaredDebitedFunds"`
	DeclaredFees         *Money       `json:"DeclaredFees"`
	WireReference        *string      `json:"WireReference"`
	BankAccount          *BankAccount `json:"BankAccount"`

	// Preauthorized capture field.
	PreauthorizationID *string `json:"PreauthorizationId"`
}

// CardDirectPayInCreate is the body of POST /payins/card/direct.
type CardDirectPayInCreate struct {
	AuthorID string `json:"AuthorId"`
	// CreditedUserID defaults to the credited wallet's owner.
	CreditedUserID   string `json:"CreditedUserId,omitempty"`
	CreditedWalletID string `json:"CreditedWalletId"`
	DebitedFunds     Money  `json:"DebitedFunds"`
	Fees             Money  `json:"Fees"`
	CardID           string `json:"CardId"`
	// SecureModeReturnURL is where the user lands after 3DS.
	SecureModeReturnURL string `json:"SecureModeReturnURL"`
	// SecureMode defaults to DEFAULT.
	SecureMode string `json:"SecureMode,omitempty"`
	// StatementDescriptor is up to 10 letters, digits and spaces.
	StatementDescriptor string `json:"StatementDescriptor,omitempty"`
	// BrowserInfo and IPAddress are required for 3DS2.
	BrowserInfo               *BrowserInfo `json:"BrowserInfo,omitempty"`
	IPAddress                 string       `json:"IpAddress,omitempty"`
	Billing                   *Billing     `json:"Billing,omitempty"`
	Shipping                  *Shipping    `json:"Shipping,omitempty"`
	Culture                   string       `json:"Culture,omitempty"`
	PreferredCardNetwork      string       `json:"PreferredCardNetwork,omitempty"`
	PaymentCategory           string       `json:"PaymentCategory,omitempty"`
	ProfilingAttemptReference string       `json:"ProfilingAttemptReference,omitempty"`
	Tag                       string       `json:"Tag,omitempty"`
}

// CardWebPayInCreate is the body of POST /payins/card/web (a payment page
// hosted by Mangopay).
type CardWebPayInCreate struct {
	AuthorID         string `json:"AuthorId"`
	CreditedUserID   string `json:"CreditedUserId,omitempty"`
	CreditedWalletID string `json:"CreditedWalletId"`
	DebitedFunds     Money  `json:"DebitedFunds"`
	Fees             Money  `json:"Fees"`
	// ReturnURL is up to 220 characters.
	ReturnURL string `json:"ReturnURL"`
	CardType  string `json:"CardType"`
	// Culture is the page language, e.g. "EN" or "FR".
	Culture                   string    `json:"Culture"`
	SecureMode                string    `json:"SecureMode,omitempty"`
	Billing                   *Billing  `json:"Billing,omitempty"`
	Shipping                  *Shipping `json:"Shipping,omitempty"`
	StatementDescriptor       string    `json:"StatementDescriptor,omitempty"`
	ProfilingAttemptReference string    `json:"ProfilingAttemptReference,omitempty"`
	Tag                       string    `json:"Tag,omitempty"`
}

// BankWireDirectPayInCreate is the body of POST /payins/bankwire/direct.
type BankWireDirectPayInCreate struct {
	AuthorID             string `json:"AuthorId"`
	CreditedUserID       string `json:"CreditedUserId,omitempty"`
	CreditedWalletID     string `json:"CreditedWalletId"`
	DeclaredDebitedFunds Money  `json:"DeclaredDebitedFunds"`
	DeclaredFees         Money  `json:"DeclaredFees"`
	Tag                  string `json:"Tag,omitempty"`
}

// PreAuthorizationCapture is the body of POST /payins/preauthorized/direct.
type PreAuthorizationCapture struct {
	PreauthorizationID string `json:"PreauthorizationId"`
	CreditedWalletID   string `json:"CreditedWalletId"`
	DebitedFunds       Money  `json:"DebitedFunds"`
	Fees               Money  `json:"Fees"`
	AuthorID           string `json:"AuthorId,omitempty"`
	CreditedUserID     string `json:"CreditedUserId,omitempty"`
	Tag                string `json:"Tag,omitempty"`
}

// CreateCardDirectPayIn charges a registered card. With 3DS the pay-in
// comes back CREATED with SecureModeNeeded and SecureModeRedirectURL; GET
// it again once the user is back.
func (c *Client) CreateCardDirectPayIn(ctx context.Context, params *CardDirectPayInCreate, opts ...CallOption) (*PayIn, error) {
	return send[PayIn](ctx, c, http.MethodPost, "/payins/card/direct", params, opts)
}

// CreateCardWebPayIn starts a payment on Mangopay's hosted page; send the
// user to RedirectURL.
func (c *Client) CreateCardWebPayIn(ctx context.Context, params *CardWebPayInCreate, opts ...CallOption) (*PayIn, error) {
	return send[PayIn](ctx, c, http.MethodPost, "/payins/card/web", params, opts)
}

// CreateBankWireDirectPayIn declares an incoming bank wire; the answer
// gives the WireReference and BankAccount the user must wire to.
func (c *Client) CreateBankWireDirectPayIn(ctx context.Context, params *BankWireDirectPayInCreate, opts ...CallOption) (*PayIn, error) {
	return send[PayIn](ctx, c, http.MethodPost, "/payins/bankwire/direct", params, opts)
}

// CapturePreAuthorization captures part or all of a preauthorization's
// remaining funds into a wallet. Capturing more than remains gives a FAILED
// pay-in with ResultCode 001505. Two captures of the same amount within
// 24 h need an idempotency key each.
func (c *Client) CapturePreAuthorization(ctx context.Context, params *PreAuthorizationCapture, opts ...CallOption) (*PayIn, error) {
	return send[PayIn](ctx, c, http.MethodPost, "/payins/preauthorized/direct", params, opts)
}

// GetPayIn fetches a pay-in of any kind.
func (c *Client) GetPayIn(ctx context.Context, payInID string, opts ...CallOption) (*PayIn, error) {
	return get[PayIn](ctx, c, "/payins/"+escape(payInID), opts)
}
