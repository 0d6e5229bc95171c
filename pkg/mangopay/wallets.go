package mangopay

import (
	"context"
	"net/http"
)

// Wallet funds types.
const (
	FundsTypeDefault = "DEFAULT"
	FundsTypeFees    = "FEES"
	FundsTypeCredit  = "CREDIT"
)

// Wallet holds a user's e-money in one currency.
type Wallet struct {
	ID           string `json:"Id"`
	Tag          string `json:"Tag"`
	CreationDate int64  `json:"CreationDate"`
	Description  string `json:"Description"`
	// Owners holds exactly one user id.
	Owners   []string `json:"Owners"`
	Balance  Money    `json:"Balance"`
	Currency string   `json:"Currency"`
	// FundsType is DEFAULT for user wallets.
	FundsType string `json:"FundsType"`
}

// WalletCreate is the body of POST /wallets.
type WalletCreate struct {
	// Owners must hold exactly one user id.
	Owners      []string `json:"Owners"`
	Description string   `json:"Description"`
	Currency    string   `json:"Currency"`
	Tag         string   `json:"Tag,omitempty"`
}

// CreateWallet creates a wallet.
func (c *Client) CreateWallet(ctx context.Context, params *WalletCreate, opts ...CallOption) (*Wallet, error) {
	return send[Wallet](ctx, c, http.MethodPost, "/wallets", params, opts)
}

// GetWallet fetches a wallet, with its current Balance. For an OWNER's
// wallet, pass WithScaContext: without it Mangopay assumes the user is
// present and may answer *SCARequiredError.
func (c *Client) GetWallet(ctx context.Context, walletID string, opts ...CallOption) (*Wallet, error) {
	return get[Wallet](ctx, c, "/wallets/"+escape(walletID), opts)
}

// ListWallets lists userID's wallets. For an OWNER, pass WithScaContext in
// callOpts (see GetWallet).
func (c *Client) ListWallets(ctx context.Context, userID string, opts *ListOptions, callOpts ...CallOption) (*Page[Wallet], error) {
	return list[Wallet](ctx, c, "/users/"+escape(userID)+"/wallets", opts, callOpts...)
}

// ListWalletTransactions lists the transactions of a wallet (filters
// FilterStatus, FilterType, FilterNature, FilterResultCode, FilterBeforeDate,
// FilterAfterDate). For an OWNER's wallet, pass WithScaContext in callOpts
// (see GetWallet).
func (c *Client) ListWalletTransactions(ctx context.Context, walletID string, opts *ListOptions, callOpts ...CallOption) (*Page[Transaction], error) {
	return list[Transaction](ctx, c, "/wallets/"+escape(walletID)+"/transactions", opts, callOpts...)
}
