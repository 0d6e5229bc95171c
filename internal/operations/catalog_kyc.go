package operations

import (
	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// The KYC operations, one per Lambda function (functions/<name>).

// CreateDocumentOp is functions/create-document: POST /users/{user_id}/documents.
func (s *Service) CreateDocumentOp() api.Operation[CreateDocumentInput] {
	return api.Operation[CreateDocumentInput]{Name: "create-document", Create: true, Kind: records.KindDocument, Run: s.CreateDocument}
}

// AddPageOp is functions/add-page: POST /documents/{document_id}/pages,
// its queue, and the pages bucket's notifications of uploads
// (AddPageFromS3).
func (s *Service) AddPageOp() api.Operation[AddPageInput] {
	return api.Operation[AddPageInput]{Name: "add-page", Create: true, Kind: records.KindPage, Run: s.AddPage}
}

// SubmitDocumentOp is functions/submit-document: POST /documents/{document_id}/submit.
func (s *Service) SubmitDocumentOp() api.Operation[DocumentInput] {
	return api.Operation[DocumentInput]{Name: "submit-document", Run: s.SubmitDocument}
}

// GetDocumentOp is functions/get-document: GET /documents/{document_id}.
func (s *Service) GetDocumentOp() api.Operation[GetDocumentInput] {
	return api.Operation[GetDocumentInput]{Name: "get-document", Run: s.GetDocument}
}

// CreateAndSubmitDocumentOp is functions/create-and-submit-document:
// POST /users/{user_id}/kyc-submissions.
func (s *Service) CreateAndSubmitDocumentOp() api.Operation[DocumentSubmissionInput] {
	return api.Operation[DocumentSubmissionInput]{Name: "create-and-submit-document", Create: true, Kind: records.KindDocument, Run: s.CreateAndSubmitDocument}
}

// GetKYCRequirementsOp is functions/get-kyc-requirements:
// GET /users/{user_id}/kyc-requirements.
func (s *Service) GetKYCRequirementsOp() api.Operation[KYCRequirementsInput] {
	return api.Operation[KYCRequirementsInput]{Name: "get-kyc-requirements", Run: s.GetKYCRequirements}
}
