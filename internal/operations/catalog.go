package operations

import (
	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// The operations, one per Lambda function (functions/<name>). Each names
// its operation (the idempotency scope and log name) and, for creates, the
// kind of record it writes.

// CreateNaturalUserOp is functions/create-natural-user: POST /users/natural.
func (s *Service) CreateNaturalUserOp() api.Operation[NaturalUserInput] {
	return api.Operation[NaturalUserInput]{Name: "create-natural-user", Create: true, Kind: records.KindUserNatural, Run: s.CreateNaturalUser}
}

// CreateLegalUserOp is functions/create-legal-user: POST /users/legal.
func (s *Service) CreateLegalUserOp() api.Operation[LegalUserInput] {
	return api.Operation[LegalUserInput]{Name: "create-legal-user", Create: true, Kind: records.KindUserLegal, Run: s.CreateLegalUser}
}

// UpdateUserOp is functions/update-user: PUT /users/{user_id}.
func (s *Service) UpdateUserOp() api.Operation[UpdateUserInput] {
	return api.Operation[UpdateUserInput]{Name: "update-user", Run: s.UpdateUser}
}

// GetUserOp is functions/get-user: GET /users/{user_id}.
func (s *Service) GetUserOp() api.Operation[GetUserInput] {
	return api.Operation[GetUserInput]{Name: "get-user", Run: s.GetUser}
}
