package mangopaytest

import (
	"net/http"
	"slices"
	"strings"
)

// hookEventTypes is the documented EventType list (§15.4).
var hookEventTypes = strings.Fields(`
PAYIN_NORMAL_CREATED PAYIN_NORMAL_SUCCEEDED PAYIN_NORMAL_FAILED PAYIN_NORMAL_PROCESSING_STATUS_PENDING_SUCCEEDED
PAYOUT_NORMAL_CREATED PAYOUT_NORMAL_SUCCEEDED PAYOUT_NORMAL_FAILED INSTANT_PAYOUT_SUCCEEDED INSTANT_PAYOUT_FALLBACKED INSTANT_PAYOUT_FAILED
TRANSFER_NORMAL_CREATED TRANSFER_NORMAL_SUCCEEDED TRANSFER_NORMAL_FAILED
PAYIN_REFUND_CREATED PAYIN_REFUND_SUCCEEDED PAYIN_REFUND_FAILED TRANSFER_REFUND_CREATED TRANSFER_REFUND_SUCCEEDED TRANSFER_REFUND_FAILED
PAYOUT_REFUND_CREATED PAYOUT_REFUND_SUCCEEDED PAYOUT_REFUND_FAILED
PREAUTHORIZATION_CREATED PREAUTHORIZATION_SUCCEEDED PREAUTHORIZATION_FAILED PREAUTHORIZATION_PAYMENT_WAITING
PREAUTHORIZATION_PAYMENT_EXPIRED PREAUTHORIZATION_PAYMENT_CANCELED PREAUTHORIZATION_PAYMENT_VALIDATED
DEPOSIT_PREAUTHORIZATION_CREATED DEPOSIT_PREAUTHORIZATION_FAILED DEPOSIT_PREAUTHORIZATION_PAYMENT_WAITING
DEPOSIT_PREAUTHORIZATION_PAYMENT_VALIDATED DEPOSIT_PREAUTHORIZATION_PAYMENT_FAILED DEPOSIT_PREAUTHORIZATION_PAYMENT_CANCEL_REQUESTED
DEPOSIT_PREAUTHORIZATION_PAYMENT_CANCELED DEPOSIT_PREAUTHORIZATION_PAYMENT_EXPIRED
CARD_VALIDATION_CREATED CARD_VALIDATION_SUCCEEDED CARD_VALIDATION_FAILED
RECURRING_REGISTRATION_CREATED RECURRING_REGISTRATION_AUTH_NEEDED RECURRING_REGISTRATION_IN_PROGRESS RECURRING_REGISTRATION_ENDED
KYC_CREATED KYC_VALIDATION_ASKED KYC_SUCCEEDED KYC_FAILED KYC_OUTDATED
USER_KYC_LIGHT USER_KYC_REGULAR USER_INFLOWS_BLOCKED USER_INFLOWS_UNBLOCKED USER_OUTFLOWS_BLOCKED USER_OUTFLOWS_UNBLOCKED
USER_ACCOUNT_VALIDATION_ASKED USER_ACCOUNT_ACTIVATED USER_ACCOUNT_CLOSED USER_CATEGORY_UPDATED_TO_OWNER
USER_CATEGORY_UPDATED_TO_PAYER USER_CATEGORY_UPDATED_TO_PLATFORM SCA_ENROLLMENT_SUCCEEDED SCA_ENROLLMENT_FAILED
SCA_ENROLLMENT_EXPIRED LEGAL_COMPANY_NUMBER_VALIDATION_SUCCEEDED LEGAL_COMPANY_NUMBER_VALIDATION_FAILED
IDENTITY_VERIFICATION_VALIDATED IDENTITY_VERIFICATION_FAILED IDENTITY_VERIFICATION_INCONCLUSIVE IDENTITY_VERIFICATION_OUTDATED
UBO_DECLARATION_CREATED UBO_DECLARATION_VALIDATION_ASKED UBO_DECLARATION_VALIDATED UBO_DECLARATION_REFUSED UBO_DECLARATION_INCOMPLETE
MANDATE_CREATED MANDATE_SUBMITTED MANDATE_ACTIVATED MANDATE_FAILED MANDATE_EXPIRED
DISPUTE_CREATED DISPUTE_ACTION_REQUIRED DISPUTE_SUBMITTED DISPUTE_SENT_TO_BANK DISPUTE_FURTHER_ACTION_REQUIRED DISPUTE_CLOSED
DISPUTE_DOCUMENT_CREATED DISPUTE_DOCUMENT_VALIDATION_ASKED DISPUTE_DOCUMENT_SUCCEEDED DISPUTE_DOCUMENT_FAILED
PAYIN_REPUDIATION_CREATED PAYIN_REPUDIATION_SUCCEEDED PAYIN_REPUDIATION_FAILED
TRANSFER_SETTLEMENT_CREATED TRANSFER_SETTLEMENT_SUCCEEDED TRANSFER_SETTLEMENT_FAILED
COUNTRY_AUTHORIZATION_UPDATED RECIPIENT_ACTIVE RECIPIENT_CANCELED RECIPIENT_DEACTIVATED
VIRTUAL_ACCOUNT_ACTIVE VIRTUAL_ACCOUNT_BLOCKED VIRTUAL_ACCOUNT_CLOSED VIRTUAL_ACCOUNT_FAILED
INSTANT_CONVERSION_CREATED INSTANT_CONVERSION_SUCCEEDED INSTANT_CONVERSION_FAILED
QUOTED_CONVERSION_CREATED QUOTED_CONVERSION_SUCCEEDED QUOTED_CONVERSION_FAILED REPORT_GENERATED REPORT_FAILED
`)

// hook is a registered webhook.
type hook struct {
	Url       string `json:"Url"`
	Status    string `json:"Status"`
	Validity  string `json:"Validity"`
	EventType string `json:"EventType"`
	entityBase
	failures int // consecutive failed deliveries
}

func (h *hook) view() any { return h }

type hookIn struct {
	EventType *string `json:"EventType"`
	Url       *string `json:"Url"`
	Status    *string `json:"Status"`
	Validity  *string `json:"Validity"`
	Tag       *string `json:"Tag"`
}

// createHook is POST /hooks (one hook per EventType).
func (s *Server) createHook(c *call) *reply {
	st := s.st
	var in hookIn
	errs := decodeBody(c.body, &in)
	checkEnum(errs, "EventType", in.EventType, true, hookEventTypes...)
	checkURL(errs, "Url", in.Url, true, 255)
	checkTag(errs, in.Tag)
	if in.EventType != nil && slices.ContainsFunc(st.hooks.list, func(h *hook) bool { return h.EventType == *in.EventType }) {
		errs.add("EventType", "A hook has already been registered for this EventType")
	}
	if len(errs) > 0 {
		return st.paramError(errs)
	}
	h := &hook{Url: *in.Url, Status: "ENABLED", Validity: "VALID", EventType: *in.EventType,
		entityBase: st.base("hook_m_", in.Tag)}
	st.hooks.add(h)
	return jsonReply(http.StatusOK, h)
}

func (s *Server) getHook(c *call) *reply {
	h, ok := s.st.hooks.get(c.param("id"))
	if !ok {
		return s.st.notFound("Hook", c.param("id"))
	}
	return jsonReply(http.StatusOK, h)
}

// updateHook is PUT /hooks/{id}: Url, Status, Tag, and Validity "VALID" to
// reset an invalid hook.
func (s *Server) updateHook(c *call) *reply {
	st := s.st
	h, ok := st.hooks.get(c.param("id"))
	if !ok {
		return st.notFound("Hook", c.param("id"))
	}
	var in hookIn
	errs := decodeBody(c.body, &in)
	checkURL(errs, "Url", in.Url, false, 255)
	checkEnum(errs, "Status", in.Status, false, "ENABLED", "DISABLED")
	checkEnum(errs, "Validity", in.Validity, false, "VALID")
	checkTag(errs, in.Tag)
	if in.EventType != nil && *in.EventType != h.EventType {
		errs.add("EventType", "The EventType of a hook cannot be changed")
	}
	if len(errs) > 0 {
		return st.paramError(errs)
	}
	if in.Url != nil {
		h.Url = *in.Url
	}
	if in.Status != nil {
		h.Status = *in.Status
	}
	if in.Validity != nil {
		h.Validity, h.failures = "VALID", 0
	}
	if in.Tag != nil {
		h.Tag = in.Tag
	}
	return jsonReply(http.StatusOK, h)
}

func (s *Server) listHooks(c *call) *reply {
	o, rep := s.parseList(c)
	if rep != nil {
		return rep
	}
	return s.listReply(o, filtered(s.st.hooks.list, func(h *hook) bool {
		return o.keep(h, "Status", h.Status, "Validity", h.Validity, "EventType", h.EventType)
	}))
}

// InvalidateHook marks the hook of eventType INVALID, as Mangopay does
// after 100 consecutive failed deliveries, without making a test deliver
// 100 times.
func (s *Server) InvalidateHook(eventType string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, h := range s.st.hooks.list {
		if h.EventType == eventType {
			h.Validity, h.failures = "INVALID", hookInvalidAfter
			return nil
		}
	}
	return errNotFound("hook for event type", eventType)
}
