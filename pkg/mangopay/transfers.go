package mangopay

import (
	"context"
	"net/http"
)

// Transfer moves funds between two wallets of the same currency. Too
// little money gives a value with Status FAILED and ResultCode 001001.
type Transfer struct {
	Transaction
	ScaContext *string `json:"ScaContext"`
	// PendingUserAction is set when the transfer awaits SCA.
	PendingUserAction *PendingUserAction `json:"PendingUserAction"`
}

// PendingUserAction sends the user to complete strong authentication.
type PendingUserAction struct {
	RedirectURL string `json:"RedirectUrl"`
}

// TransferCreate is the body of POST /transfers.
type TransferCreate struct {
	// AuthorID must own DebitedWalletID.
	AuthorID         string `json:"AuthorId"`
	CreditedUserID   string `json:"CreditedUserId,omitempty"`
	DebitedWalletID  string `json:"DebitedWalletId"`
	CreditedWalletID string `json:"CreditedWalletId"`
	DebitedFunds     Money  `json:"DebitedFunds"`
	Fees             Money  `json:"Fees"`
	ScaContext       string `json:"ScaContext,omitempty"`
	Tag              string `json:"Tag,omitempty"`
}

// CreateTransfer moves funds between wallets.
func (c *Client) CreateTransfer(ctx context.Context, params *TransferCreate, opts ...CallOption) (*Transfer, error) {
	return send[Transfer](ctx, c, http.MethodPost, "/transfers", params, opts)
}

// GetTransfer fetches a transfer.
func (c *Client) GetTransfer(ctx context.Context, transferID string, opts ...CallOption) (*Transfer, error) {
	return get[Transfer](ctx, c, "/transfers/"+escape(transferID), opts)
}
