package operations

import (
	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// The card, pay-in and preauthorization operations, one per Lambda
// function (functions/<name>).

// CreateCardRegistrationOp is functions/create-card-registration:
// POST /users/{user_id}/card-registrations (and its queue).
func (s *Service) CreateCardRegistrationOp() api.Operation[CardRegistrationInput] {
	// The answer carries the access key and preregistration data for the
	// browser: never stored, so a replay reads them from Mangopay again.
	return api.Operation[CardRegistrationInput]{Name: "create-card-registration", Create: true,
		Kind: records.KindCardRegistration, RerunOnReplay: true, Run: s.CreateCardRegistration}
}

// CompleteCardRegistrationOp is functions/complete-card-registration:
// PUT /card-registrations/{card_registration_id} (and its queue).
func (s *Service) CompleteCardRegistrationOp() api.Operation[CompleteCardRegistrationInput] {
	return api.Operation[CompleteCardRegistrationInput]{Name: "complete-card-registration", Run: s.CompleteCardRegistration}
}

// GetCardOp is functions/get-card: GET /cards/{card_id}.
func (s *Service) GetCardOp() api.Operation[CardInput] {
	return api.Operation[CardInput]{Name: "get-card", Run: s.GetCard}
}

// DeactivateCardOp is functions/deactivate-card: DELETE /cards/{card_id}
// (and its queue).
func (s *Service) DeactivateCardOp() api.Operation[CardInput] {
	return api.Operation[CardInput]{Name: "deactivate-card", Run: s.DeactivateCard}
}

// CreateCardPayInOp is functions/create-card-payin: POST
// /payins/card/direct (and its queue).
func (s *Service) CreateCardPayInOp() api.Operation[CardPayInInput] {
	return api.Operation[CardPayInInput]{Name: "create-card-payin", Create: true, Kind: records.KindPayIn, Run: s.CreateCardPayIn}
}

// CreateWebPayInOp is functions/create-web-payin: POST /payins/card/web
// (and its queue).
func (s *Service) CreateWebPayInOp() api.Operation[WebPayInInput] {
	return api.Operation[WebPayInInput]{Name: "create-web-payin", Create: true, Kind: records.KindPayIn, Run: s.CreateWebPayIn}
}

// CreateBankWirePayInOp is functions/create-bankwire-payin: POST
// /payins/bankwire/direct (and its queue).
func (s *Service) CreateBankWirePayInOp() api.Operation[BankWirePayInInput] {
	return api.Operation[BankWirePayInInput]{Name: "create-bankwire-payin", Create: true, Kind: records.KindPayIn, Run: s.CreateBankWirePayIn}
}

// GetPayInOp is functions/get-payin: GET /payins/{payin_id}.
func (s *Service) GetPayInOp() api.Operation[GetPayInInput] {
	return api.Operation[GetPayInInput]{Name: "get-payin", Run: s.GetPayIn}
}

// CreatePreauthorizationOp is functions/create-preauthorization: POST
// /preauthorizations (and its queue).
func (s *Service) CreatePreauthorizationOp() api.Operation[PreauthorizationInput] {
	return api.Operation[PreauthorizationInput]{Name: "create-preauthorization", Create: true,
		Kind: records.KindPreauthorization, Run: s.CreatePreauthorization}
}

// GetPreauthorizationOp is functions/get-preauthorization: GET
// /preauthorizations/{preauthorization_id}.
func (s *Service) GetPreauthorizationOp() api.Operation[PreauthorizationIDInput] {
	return api.Operation[PreauthorizationIDInput]{Name: "get-preauthorization", Run: s.GetPreauthorization}
}

// CancelPreauthorizationOp is functions/cancel-preauthorization: POST
// /preauthorizations/{preauthorization_id}/cancel (and its queue).
func (s *Service) CancelPreauthorizationOp() api.Operation[PreauthorizationIDInput] {
	return api.Operation[PreauthorizationIDInput]{Name: "cancel-preauthorization", Run: s.CancelPreauthorization}
}

// CapturePreauthorizationOp is functions/capture-preauthorization: POST
// /preauthorizations/{preauthorization_id}/captures (and its queue).
func (s *Service) CapturePreauthorizationOp() api.Operation[CaptureInput] {
	return api.Operation[CaptureInput]{Name: "capture-preauthorization", Create: true, Kind: records.KindPayIn, Run: s.CapturePreauthorization}
}
