package mangopay

import (
	"context"
	"errors"
	"net/http"
)

// Refund reason types (open set).
const (
	RefundReasonInitializedByClient = "INITIALIZED_BY_CLIENT"
	RefundReasonOther               = "OTHER"
)

// Refund returns a pay-in to the card (Type PAYOUT, Nature REFUND) or a
// transfer to its debited wallet (Type TRANSFER, Nature REFUND). Fees is
// negative when fees are refunded.
type Refund struct {
	Transaction
	InitialTransactionID string `json:"InitialTransactionId"`
	// InitialTransactionType is PAYIN, TRANSFER or PAYOUT.
	InitialTransactionType   string        `json:"InitialTransactionType"`
	InitialTransactionNature string        `json:"InitialTransactionNature"`
	RefundReason             *RefundReason `json:"RefundReason"`
	StatementDescriptor      *string       `json:"StatementDescriptor"`
}

// RefundReason says why a refund was made.
type RefundReason struct {
	RefundReasonMessage *string `json:"RefundReasonMessage"`
	RefundReasonType    string  `json:"RefundReasonType"`
}

// RefundCreate is the body of a pay-in or transfer refund. Leave
// DebitedFunds and Fees both nil for a full refund (fees refunded too);
// set both for a partial one (a negative Fees amount refunds fees).
type RefundCreate struct {
	// AuthorID must be the author of the initial transaction.
	AuthorID     string `json:"AuthorId"`
	DebitedFunds *Money `json:"DebitedFunds,omitempty"`
	Fees         *Money `json:"Fees,omitempty"`
	// StatementDescriptor applies to direct-debit refunds only.
	StatementDescriptor string `json:"StatementDescriptor,omitempty"`
	Tag                 string `json:"Tag,omitempty"`
}

// ErrRefundAmounts is returned, before any call, when a RefundCreate sets
// only one of DebitedFunds and Fees: Mangopay requires both or neither.
var ErrRefundAmounts = errors.New("mangopay: a refund needs both DebitedFunds and Fees, or neither for a full refund")

// check rejects a body with only one of DebitedFunds and Fees.
func (p *RefundCreate) check() error {
	if p != nil && (p.DebitedFunds == nil) != (p.Fees == nil) {
		return ErrRefundAmounts
	}
	return nil
}

// RefundPayIn refunds a SUCCEEDED pay-in, fully or partly.
func (c *Client) RefundPayIn(ctx context.Context, payInID string, params *RefundCreate, opts ...CallOption) (*Refund, error) {
	if err := params.check(); err != nil {
		return nil, err
	}
	return send[Refund](ctx, c, http.MethodPost, "/payins/"+escape(payInID)+"/refunds", params, opts)
}

// RefundTransfer refunds a SUCCEEDED transfer, fully or partly.
func (c *Client) RefundTransfer(ctx context.Context, transferID string, params *RefundCreate, opts ...CallOption) (*Refund, error) {
	if err := params.check(); err != nil {
		return nil, err
	}
	return send[Refund](ctx, c, http.MethodPost, "/transfers/"+escape(transferID)+"/refunds", params, opts)
}

// GetRefund fetches a refund.
func (c *Client) GetRefund(ctx context.Context, refundID string, opts ...CallOption) (*Refund, error) {
	return get[Refund](ctx, c, "/refunds/"+escape(refundID), opts)
}
