package mangopay

import (
	"context"
	"encoding/json"
	"net/http"
)

// Payout modes (PayoutModeRequested, ModeRequested, ModeApplied).
const (
	PayoutModeStandard           = "STANDARD"
	PayoutModeInstantPayment     = "INSTANT_PAYMENT"
	PayoutModeInstantPaymentOnly = "INSTANT_PAYMENT_ONLY"
	PayoutModeRTGSPayment        = "RTGS_PAYMENT"
	PayoutModePendingResponse    = "PENDING_RESPONSE"
	PayoutModeNone               = "NONE"
)

// PayOut sends wallet funds to a bank account. It is created CREATED and
// settles later to SUCCEEDED or FAILED; re-fetch it with GetPayout or wait
// for a PAYOUT_NORMAL_* hook.
type PayOut struct {
	Transaction
	PaymentType   string  `json:"PaymentType"`
	BankAccountID string  `json:"BankAccountId"`
	BankWireRef   *string `json:"BankWireRef"`
	ModeRequested *string `json:"ModeRequested"`
	// ModeApplied is one of the PayoutMode constants, PENDING_RESPONSE
	// while unknown.
	ModeApplied    *string         `json:"ModeApplied"`
	FallbackReason *FallbackReason `json:"FallbackReason"`
	EndToEndID     *string         `json:"EndToEndId"`
	PaymentRef     *PaymentRef     `json:"PaymentRef"`
	// RecipientVerificationOfPayee is kept raw: its shape is new and not
	// settled.
	RecipientVerificationOfPayee json.RawMessage `json:"RecipientVerificationOfPayee,omitempty"`
}

// FallbackReason says why an instant payout fell back to standard.
type FallbackReason struct {
	Code    string `json:"Code"`
	Message string `json:"Message"`
}

// PaymentRef links a payout refunding a bank-wire pay-in to that pay-in.
type PaymentRef struct {
	// ReasonType is "PAYIN_REFUND".
	ReasonType  string `json:"ReasonType"`
	ReferenceID string `json:"ReferenceId"`
}

// PayoutCreate is the body of POST /payouts/bankwire.
type PayoutCreate struct {
	// AuthorID owns the debited wallet; an OWNER with KYCLevel REGULAR.
	AuthorID        string `json:"AuthorId"`
	DebitedWalletID string `json:"DebitedWalletId"`
	DebitedFunds    Money  `json:"DebitedFunds"`
	Fees            Money  `json:"Fees"`
	BankAccountID   string `json:"BankAccountId"`
	// BankWireRef shows on the bank statement (12 characters or fewer
	// recommended).
	BankWireRef string `json:"BankWireRef,omitempty"`
	// PayoutModeRequested defaults to STANDARD.
	PayoutModeRequested string      `json:"PayoutModeRequested,omitempty"`
	PaymentRef          *PaymentRef `json:"PaymentRef,omitempty"`
	Tag                 string      `json:"Tag,omitempty"`
}

// CreatePayout asks for a bank wire payout.
func (c *Client) CreatePayout(ctx context.Context, params *PayoutCreate, opts ...CallOption) (*PayOut, error) {
	return send[PayOut](ctx, c, http.MethodPost, "/payouts/bankwire", params, opts)
}

// GetPayout fetches a bank wire payout, with ModeRequested, ModeApplied
// and FallbackReason.
func (c *Client) GetPayout(ctx context.Context, payoutID string, opts ...CallOption) (*PayOut, error) {
	return get[PayOut](ctx, c, "/payouts/bankwire/"+escape(payoutID), opts)
}
