package mangopay

import (
	"context"
	"net/http"
)

// Bank account types.
const (
	BankAccountTypeIBAN  = "IBAN"
	BankAccountTypeGB    = "GB"
	BankAccountTypeUS    = "US"
	BankAccountTypeCA    = "CA"
	BankAccountTypeOther = "OTHER"
)

// US deposit account types.
const (
	DepositAccountTypeChecking = "CHECKING"
	DepositAccountTypeSavings  = "SAVINGS"
)

// BankAccount is a user's (legacy) bank account, of any Type. Only the
// fields of its Type are set. The same shape describes the account a bank
// wire pay-in must be sent to.
type BankAccount struct {
	ID           string `json:"Id"`
	Tag          string `json:"Tag"`
	CreationDate int64  `json:"CreationDate"`
	UserID       string `json:"UserId"`
	// Type is one of the BankAccountType constants.
	Type         string   `json:"Type"`
	OwnerName    string   `json:"OwnerName"`
	OwnerAddress *Address `json:"OwnerAddress"`
	// Active is false once deactivated, which is irreversible.
	Active bool `json:"Active"`
	// IBAN and BIC: IBAN accounts (BIC also on OTHER).
	IBAN string `json:"IBAN,omitempty"`
	BIC  string `json:"BIC,omitempty"`
	// AccountNumber: GB, US, CA and OTHER accounts.
	AccountNumber string `json:"AccountNumber,omitempty"`
	// SortCode: GB accounts.
	SortCode string `json:"SortCode,omitempty"`
	// ABA and DepositAccountType: US accounts.
	ABA                string `json:"ABA,omitempty"`
	DepositAccountType string `json:"DepositAccountType,omitempty"`
	// InstitutionNumber, BranchCode and BankName: CA accounts.
	InstitutionNumber string `json:"InstitutionNumber,omitempty"`
	BranchCode        string `json:"BranchCode,omitempty"`
	BankName          string `json:"BankName,omitempty"`
	// Country: OTHER accounts (ISO alpha-2).
	Country string `json:"Country,omitempty"`
}

// IBANBankAccountCreate is the body of POST /users/{id}/bankaccounts/iban.
type IBANBankAccountCreate struct {
	OwnerName    string   `json:"OwnerName"`
	OwnerAddress *Address `json:"OwnerAddress"`
	IBAN         string   `json:"IBAN"`
	BIC          string   `json:"BIC,omitempty"`
	Tag          string   `json:"Tag,omitempty"`
}

// GBBankAccountCreate is the body of POST /users/{id}/bankaccounts/gb.
type GBBankAccountCreate struct {
	OwnerName     string   `json:"OwnerName"`
	OwnerAddress  *Address `json:"OwnerAddress"`
	AccountNumber string   `json:"AccountNumber"`
	SortCode      string   `json:"SortCode"`
	Tag           string   `json:"Tag,omitempty"`
}

// USBankAccountCreate is the body of POST /users/{id}/bankaccounts/us.
type USBankAccountCreate struct {
	OwnerName     string   `json:"OwnerName"`
	OwnerAddress  *Address `json:"OwnerAddress"`
	AccountNumber string   `json:"AccountNumber"`
	ABA           string   `json:"ABA"`
	// DepositAccountType is CHECKING or SAVINGS (optional).
	DepositAccountType string `json:"DepositAccountType,omitempty"`
	Tag                string `json:"Tag,omitempty"`
}

// CABankAccountCreate is the body of POST /users/{id}/bankaccounts/ca.
type CABankAccountCreate struct {
	OwnerName         string   `json:"OwnerName"`
	OwnerAddress      *Address `json:"OwnerAddress"`
	AccountNumber     string   `json:"AccountNumber"`
	InstitutionNumber string   `json:"InstitutionNumber"`
	BranchCode        string   `json:"BranchCode"`
	BankName          string   `json:"BankName"`
	Tag               string   `json:"Tag,omitempty"`
}

// OtherBankAccountCreate is the body of POST /users/{id}/bankaccounts/other.
type OtherBankAccountCreate struct {
	OwnerName     string   `json:"OwnerName"`
	OwnerAddress  *Address `json:"OwnerAddress"`
	AccountNumber string   `json:"AccountNumber"`
	BIC           string   `json:"BIC"`
	Country       string   `json:"Country"`
	Tag           string   `json:"Tag,omitempty"`
}

// bankAccountDeactivate is the body that deactivates an account; Active is
// never omitted.
type bankAccountDeactivate struct {
	Active bool `json:"Active"`
}

// bankAccountsPath is the collection of userID's bank accounts.
func bankAccountsPath(userID string) string {
	return "/users/" + escape(userID) + "/bankaccounts"
}

// CreateIBANBankAccount registers an IBAN account for userID.
func (c *Client) CreateIBANBankAccount(ctx context.Context, userID string, params *IBANBankAccountCreate, opts ...CallOption) (*BankAccount, error) {
	return send[BankAccount](ctx, c, http.MethodPost, bankAccountsPath(userID)+"/iban", params, opts)
}

// CreateGBBankAccount registers a UK account (account number and sort code).
func (c *Client) CreateGBBankAccount(ctx context.Context, userID string, params *GBBankAccountCreate, opts ...CallOption) (*BankAccount, error) {
	return send[BankAccount](ctx, c, http.MethodPost, bankAccountsPath(userID)+"/gb", params, opts)
}

// CreateUSBankAccount registers a US account (account number and ABA).
func (c *Client) CreateUSBankAccount(ctx context.Context, userID string, params *USBankAccountCreate, opts ...CallOption) (*BankAccount, error) {
	return send[BankAccount](ctx, c, http.MethodPost, bankAccountsPath(userID)+"/us", params, opts)
}

// CreateCABankAccount registers a Canadian account.
func (c *Client) CreateCABankAccount(ctx context.Context, userID string, params *CABankAccountCreate, opts ...CallOption) (*BankAccount, error) {
	return send[BankAccount](ctx, c, http.MethodPost, bankAccountsPath(userID)+"/ca", params, opts)
}

// CreateOtherBankAccount registers an account in any other country.
func (c *Client) CreateOtherBankAccount(ctx context.Context, userID string, params *OtherBankAccountCreate, opts ...CallOption) (*BankAccount, error) {
	return send[BankAccount](ctx, c, http.MethodPost, bankAccountsPath(userID)+"/other", params, opts)
}

// GetBankAccount fetches one of userID's bank accounts.
func (c *Client) GetBankAccount(ctx context.Context, userID, bankAccountID string, opts ...CallOption) (*BankAccount, error) {
	return get[BankAccount](ctx, c, bankAccountsPath(userID)+"/"+escape(bankAccountID), opts)
}

// ListBankAccounts lists userID's bank accounts. Filter: Active.
func (c *Client) ListBankAccounts(ctx context.Context, userID string, opts *ListOptions) (*Page[BankAccount], error) {
	return list[BankAccount](ctx, c, bankAccountsPath(userID), opts)
}

// DeactivateBankAccount deactivates an account for good (PUT
// {"Active":false}); payouts to it then fail.
func (c *Client) DeactivateBankAccount(ctx context.Context, userID, bankAccountID string, opts ...CallOption) (*BankAccount, error) {
	path := bankAccountsPath(userID) + "/" + escape(bankAccountID)
	return send[BankAccount](ctx, c, http.MethodPut, path, bankAccountDeactivate{Active: false}, opts)
}
