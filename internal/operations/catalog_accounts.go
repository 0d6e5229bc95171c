package operations

import (
	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// The bank-account and wallet operations, one per Lambda function
// (functions/<name>), as in catalog.go.

// CreateBankAccountOp is functions/create-bank-account:
// POST /users/{user_id}/bank-accounts, and its queue.
func (s *Service) CreateBankAccountOp() api.Operation[BankAccountInput] {
	return api.Operation[BankAccountInput]{Name: "create-bank-account", Create: true, Kind: records.KindBankAccount, Run: s.CreateBankAccount}
}

// GetBankAccountOp is functions/get-bank-account:
// GET /bank-accounts/{bank_account_id}[?refresh=true].
func (s *Service) GetBankAccountOp() api.Operation[GetBankAccountInput] {
	return api.Operation[GetBankAccountInput]{Name: "get-bank-account", Run: s.GetBankAccount}
}

// DeactivateBankAccountOp is functions/deactivate-bank-account:
// DELETE /bank-accounts/{bank_account_id}, and its queue.
func (s *Service) DeactivateBankAccountOp() api.Operation[DeactivateBankAccountInput] {
	return api.Operation[DeactivateBankAccountInput]{Name: "deactivate-bank-account", Run: s.DeactivateBankAccount}
}

// CreateWalletOp is functions/create-wallet: POST /users/{user_id}/wallets,
// and its queue.
func (s *Service) CreateWalletOp() api.Operation[WalletInput] {
	return api.Operation[WalletInput]{Name: "create-wallet", Create: true, Kind: records.KindWallet, Run: s.CreateWallet}
}

// GetWalletOp is functions/get-wallet: GET /wallets/{wallet_id}, the
// balance always read from Mangopay.
func (s *Service) GetWalletOp() api.Operation[GetWalletInput] {
	return api.Operation[GetWalletInput]{Name: "get-wallet", Run: s.GetWallet}
}
