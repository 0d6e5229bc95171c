package mangopay

import (
	"context"
	"strconv"
)

// Event types callers commonly hook (the full list is open-ended).
const (
	EventPayInNormalCreated        = "PAYIN_NORMAL_CREATED"
	EventPayInNormalSucceeded      = "PAYIN_NORMAL_SUCCEEDED"
	EventPayInNormalFailed         = "PAYIN_NORMAL_FAILED"
	EventPayoutNormalCreated       = "PAYOUT_NORMAL_CREATED"
	EventPayoutNormalSucceeded     = "PAYOUT_NORMAL_SUCCEEDED"
	EventPayoutNormalFailed        = "PAYOUT_NORMAL_FAILED"
	EventTransferNormalCreated     = "TRANSFER_NORMAL_CREATED"
	EventTransferNormalSucceeded   = "TRANSFER_NORMAL_SUCCEEDED"
	EventTransferNormalFailed      = "TRANSFER_NORMAL_FAILED"
	EventPayInRefundCreated        = "PAYIN_REFUND_CREATED"
	EventPayInRefundSucceeded      = "PAYIN_REFUND_SUCCEEDED"
	EventPayInRefundFailed         = "PAYIN_REFUND_FAILED"
	EventTransferRefundSucceeded   = "TRANSFER_REFUND_SUCCEEDED"
	EventPayoutRefundSucceeded     = "PAYOUT_REFUND_SUCCEEDED"
	EventPreauthorizationCreated   = "PREAUTHORIZATION_CREATED"
	EventPreauthorizationSucceeded = "PREAUTHORIZATION_SUCCEEDED"
	EventPreauthorizationFailed    = "PREAUTHORIZATION_FAILED"
	EventKYCCreated                = "KYC_CREATED"
	EventKYCValidationAsked        = "KYC_VALIDATION_ASKED"
	EventKYCSucceeded              = "KYC_SUCCEEDED"
	EventKYCFailed                 = "KYC_FAILED"
	EventKYCOutdated               = "KYC_OUTDATED"
	EventUserKYCRegular            = "USER_KYC_REGULAR"
	EventUserKYCLight              = "USER_KYC_LIGHT"
)

// Event is one entry of GET /events. Note ResourceId with one s here, while
// hook calls spell it RessourceId.
type Event struct {
	ResourceID string `json:"ResourceId"`
	EventType  string `json:"EventType"`
	// Date is Unix seconds.
	Date int64 `json:"Date"`
}

// EventFilters builds ListOptions.Filters for ListEvents; an empty
// eventType or a zero date is left out. Only the last 45 days can be
// searched.
func EventFilters(eventType string, afterDate, beforeDate int64) map[string]string {
	f := map[string]string{}
	if eventType != "" {
		f[FilterEventType] = eventType
	}
	if afterDate != 0 {
		f[FilterAfterDate] = strconv.FormatInt(afterDate, 10)
	}
	if beforeDate != 0 {
		f[FilterBeforeDate] = strconv.FormatInt(beforeDate, 10)
	}
	return f
}

// ListEvents lists events. Filters (see EventFilters): EventType,
// BeforeDate, AfterDate (Unix seconds).
func (c *Client) ListEvents(ctx context.Context, opts *ListOptions) (*Page[Event], error) {
	return list[Event](ctx, c, "/events", opts)
}
