package operations

import (
	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// The money-moving operations (transfers, refunds, payouts), one per
// Lambda function (functions/<name>), as in catalog.go.

// CreateTransferOp is functions/create-transfer: POST /transfers, and its
// queue.
func (s *Service) CreateTransferOp() api.Operation[TransferInput] {
	return api.Operation[TransferInput]{Name: "create-transfer", Create: true, Kind: records.KindTransfer, Run: s.CreateTransfer}
}

// GetTransferOp is functions/get-transfer:
// GET /transfers/{transfer_id}[?refresh=true].
func (s *Service) GetTransferOp() api.Operation[GetTransferInput] {
	return api.Operation[GetTransferInput]{Name: "get-transfer", Run: s.GetTransfer}
}

// RefundPayInOp is functions/refund-payin: POST /payins/{payin_id}/refunds,
// and its queue.
func (s *Service) RefundPayInOp() api.Operation[RefundPayInInput] {
	return api.Operation[RefundPayInInput]{Name: "refund-payin", Create: true, Kind: records.KindRefund, Run: s.RefundPayIn}
}

// RefundTransferOp is functions/refund-transfer:
// POST /transfers/{transfer_id}/refunds, and its queue.
func (s *Service) RefundTransferOp() api.Operation[RefundTransferInput] {
	return api.Operation[RefundTransferInput]{Name: "refund-transfer", Create: true, Kind: records.KindRefund, Run: s.RefundTransfer}
}

// GetRefundOp is functions/get-refund: GET /refunds/{refund_id}[?refresh=true].
func (s *Service) GetRefundOp() api.Operation[GetRefundInput] {
	return api.Operation[GetRefundInput]{Name: "get-refund", Run: s.GetRefund}
}

// CreatePayoutOp is functions/create-payout: POST /payouts, and its queue.
func (s *Service) CreatePayoutOp() api.Operation[PayoutInput] {
	return api.Operation[PayoutInput]{Name: "create-payout", Create: true, Kind: records.KindPayout, Run: s.CreatePayout}
}

// GetPayoutOp is functions/get-payout: GET /payouts/{payout_id}[?refresh=true].
func (s *Service) GetPayoutOp() api.Operation[GetPayoutInput] {
	return api.Operation[GetPayoutInput]{Name: "get-payout", Run: s.GetPayout}
}
