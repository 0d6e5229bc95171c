package mangopay

import (
	"context"
	"net/http"
)

// Preauthorization payment (hold) statuses.
const (
	PaymentStatusWaiting   = "WAITING"
	PaymentStatusCanceled  = "CANCELED"
	PaymentStatusExpired   = "EXPIRED"
	PaymentStatusValidated = "VALIDATED"
)

// PreAuthorization holds funds on a card for up to 6.5 days; capture them
// with CapturePreAuthorization.
type PreAuthorization struct {
	ID             string `json:"Id"`
	Tag            string `json:"Tag"`
	CreationDate   int64  `json:"CreationDate"`
	AuthorID       string `json:"AuthorId"`
	DebitedFunds   Money  `json:"DebitedFunds"`
	RemainingFunds Money  `json:"RemainingFunds"`
	// AuthorizationDate is null until authorized.
	AuthorizationDate *int64 `json:"AuthorizationDate"`
	// Status is the authorization status: CREATED, SUCCEEDED or FAILED.
	Status string `json:"Status"`
	// PaymentStatus is the hold status; see the PaymentStatus constants.
	PaymentStatus string `json:"PaymentStatus"`
	// ExpirationDate is the end of the hold, null until authorized.
	ExpirationDate *int64 `json:"ExpirationDate"`
	// PayInID is the first capture's pay-in.
	PayInID               *string       `json:"PayInId"`
	ResultCode            *string       `json:"ResultCode"`
	ResultMessage         *string       `json:"ResultMessage"`
	SecureMode            string        `json:"SecureMode"`
	CardID                string        `json:"CardId"`
	SecureModeReturnURL   *string       `json:"SecureModeReturnURL"`
	SecureModeRedirectURL *string       `json:"SecureModeRedirectURL"`
	SecureModeNeeded      bool          `json:"SecureModeNeeded"`
	PaymentType           string        `json:"PaymentType"`
	ExecutionType         string        `json:"ExecutionType"`
	StatementDescriptor   *string       `json:"StatementDescriptor"`
	Culture               *string       `json:"Culture"`
	SecurityInfo          *SecurityInfo `json:"SecurityInfo"`
	MultiCapture          bool          `json:"MultiCapture"`
	BrowserInfo           *BrowserInfo  `json:"BrowserInfo"`
	IPAddress             *string       `json:"IpAddress"`
	Billing               *Billing      `json:"Billing"`
	Shipping              *Shipping     `json:"Shipping"`
	Requested3DSVersion   *string       `json:"Requested3DSVersion"`
	Applied3DSVersion     *string       `json:"Applied3DSVersion"`
	PreferredCardNetwork  *string       `json:"PreferredCardNetwork"`
	PaymentCategory       *string       `json:"PaymentCategory"`
	CardInfo              *CardInfo     `json:"CardInfo"`
}

// PreAuthorizationCreate is the body of POST
// /preauthorizations/card/direct. There is no wallet and no fee yet.
type PreAuthorizationCreate struct {
	AuthorID             string       `json:"AuthorId"`
	DebitedFunds         Money        `json:"DebitedFunds"`
	CardID               string       `json:"CardId"`
	SecureModeReturnURL  string       `json:"SecureModeReturnURL"`
	BrowserInfo          *BrowserInfo `json:"BrowserInfo,omitempty"`
	IPAddress            string       `json:"IpAddress,omitempty"`
	SecureMode           string       `json:"SecureMode,omitempty"`
	StatementDescriptor  string       `json:"StatementDescriptor,omitempty"`
	Culture              string       `json:"Culture,omitempty"`
	Billing              *Billing     `json:"Billing,omitempty"`
	Shipping             *Shipping    `json:"Shipping,omitempty"`
	PreferredCardNetwork string       `json:"PreferredCardNetwork,omitempty"`
	PaymentCategory      string       `json:"PaymentCategory,omitempty"`
	Tag                  string       `json:"Tag,omitempty"`
}

// preAuthorizationUpdate is the body that cancels or validates a hold.
type preAuthorizationUpdate struct {
	PaymentStatus string `json:"PaymentStatus"`
}

// CreatePreAuthorization holds funds on a card.
func (c *Client) CreatePreAuthorization(ctx context.Context, params *PreAuthorizationCreate, opts ...CallOption) (*PreAuthorization, error) {
	return send[PreAuthorization](ctx, c, http.MethodPost, "/preauthorizations/card/direct", params, opts)
}

// GetPreAuthorization fetches a preauthorization.
func (c *Client) GetPreAuthorization(ctx context.Context, id string, opts ...CallOption) (*PreAuthorization, error) {
	return get[PreAuthorization](ctx, c, "/preauthorizations/"+escape(id), opts)
}

// CancelPreAuthorization releases a hold on which nothing was captured.
func (c *Client) CancelPreAuthorization(ctx context.Context, id string, opts ...CallOption) (*PreAuthorization, error) {
	return c.setPaymentStatus(ctx, id, PaymentStatusCanceled, opts)
}

// ValidatePreAuthorization ends a hold after at least one capture,
// releasing what remains.
func (c *Client) ValidatePreAuthorization(ctx context.Context, id string, opts ...CallOption) (*PreAuthorization, error) {
	return c.setPaymentStatus(ctx, id, PaymentStatusValidated, opts)
}

// setPaymentStatus PUTs a new PaymentStatus on a preauthorization.
func (c *Client) setPaymentStatus(ctx context.Context, id, status string, opts []CallOption) (*PreAuthorization, error) {
	body := preAuthorizationUpdate{PaymentStatus: status}
	return send[PreAuthorization](ctx, c, http.MethodPut, "/preauthorizations/"+escape(id), body, opts)
}
