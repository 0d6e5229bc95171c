package mangopay

import (
	"context"
	"encoding/base64"
	"net/http"
)

// KYC document types.
const (
	KYCDocumentTypeIdentityProof          = "IDENTITY_PROOF"
	KYCDocumentTypeRegistrationProof      = "REGISTRATION_PROOF"
	KYCDocumentTypeArticlesOfAssociation  = "ARTICLES_OF_ASSOCIATION"
	KYCDocumentTypeShareholderDeclaration = "SHAREHOLDER_DECLARATION"
	KYCDocumentTypeAddressProof           = "ADDRESS_PROOF"
)

// KYC document statuses.
const (
	KYCStatusCreated         = "CREATED"
	KYCStatusValidationAsked = "VALIDATION_ASKED"
	KYCStatusValidated       = "VALIDATED"
	KYCStatusRefused         = "REFUSED"
	KYCStatusOutOfDate       = "OUT_OF_DATE"
)

// KYC refusal reasons (RefusedReasonType).
const (
	KYCRefusedDocumentDoNotMatchUserData = "DOCUMENT_DO_NOT_MATCH_USER_DATA"
	KYCRefusedDocumentFalsified          = "DOCUMENT_FALSIFIED"
	KYCRefusedDocumentHasExpired         = "DOCUMENT_HAS_EXPIRED"
	KYCRefusedDocumentIncomplete         = "DOCUMENT_INCOMPLETE"
	KYCRefusedDocumentMissing            = "DOCUMENT_MISSING"
	KYCRefusedDocumentNotAccepted        = "DOCUMENT_NOT_ACCEPTED"
	KYCRefusedDocumentUnreadable         = "DOCUMENT_UNREADABLE"
	KYCRefusedSpecificCase               = "SPECIFIC_CASE"
	KYCRefusedUnderagePerson             = "UNDERAGE_PERSON"
)

// KYCDocument is a container of pages submitted for review.
type KYCDocument struct {
	ID           string `json:"Id"`
	Tag          string `json:"Tag"`
	CreationDate int64  `json:"CreationDate"`
	// Type is one of the KYCDocumentType constants.
	Type   string `json:"Type"`
	UserID string `json:"UserId"`
	// Status is one of the KYCStatus constants.
	Status        string   `json:"Status"`
	Flags         []string `json:"Flags"`
	ProcessedDate *int64   `json:"ProcessedDate"`
	// RefusedReasonType is null unless REFUSED; see the KYCRefused
	// constants.
	RefusedReasonType    *string `json:"RefusedReasonType"`
	RefusedReasonMessage *string `json:"RefusedReasonMessage"`
}

// KYCDocumentCreate is the body of POST /users/{id}/kyc/documents. In the
// sandbox, Tag decides the review outcome ("accept", "refuse_expired"…).
type KYCDocumentCreate struct {
	Type string `json:"Type"`
	Tag  string `json:"Tag,omitempty"`
}

// kycPage is the body of a page upload.
type kycPage struct {
	File string `json:"File"`
}

// kycSubmit is the body that asks for review.
type kycSubmit struct {
	Status string `json:"Status"`
}

// kycDocumentsPath is the collection of userID's KYC documents.
func kycDocumentsPath(userID string) string {
	return "/users/" + escape(userID) + "/kyc/documents"
}

// CreateKYCDocument creates an empty document for userID.
func (c *Client) CreateKYCDocument(ctx context.Context, userID string, params *KYCDocumentCreate, opts ...CallOption) (*KYCDocument, error) {
	return send[KYCDocument](ctx, c, http.MethodPost, kycDocumentsPath(userID), params, opts)
}

// CreateKYCPage uploads one page (PDF, JPEG or PNG bytes; at most 5 per
// document) to a CREATED document. The bytes are sent base64-encoded in
// JSON; Mangopay answers 204 with no body.
func (c *Client) CreateKYCPage(ctx context.Context, userID, docID string, file []byte, opts ...CallOption) error {
	body := kycPage{File: base64.StdEncoding.EncodeToString(file)}
	path := kycDocumentsPath(userID) + "/" + escape(docID) + "/pages"
	_, err := c.call(ctx, http.MethodPost, path, nil, body, nil, opts)
	return err
}

// SubmitKYCDocument asks Mangopay to review the document (Status
// VALIDATION_ASKED).
func (c *Client) SubmitKYCDocument(ctx context.Context, userID, docID string, opts ...CallOption) (*KYCDocument, error) {
	path := kycDocumentsPath(userID) + "/" + escape(docID)
	return send[KYCDocument](ctx, c, http.MethodPut, path, kycSubmit{Status: KYCStatusValidationAsked}, opts)
}

// GetKYCDocument fetches a document by id.
func (c *Client) GetKYCDocument(ctx context.Context, docID string, opts ...CallOption) (*KYCDocument, error) {
	return get[KYCDocument](ctx, c, "/kyc/documents/"+escape(docID), opts)
}

// ListKYCDocuments lists a user's documents. Filters: Status, Type,
// BeforeDate, AfterDate.
func (c *Client) ListKYCDocuments(ctx context.Context, userID string, opts *ListOptions) (*Page[KYCDocument], error) {
	return list[KYCDocument](ctx, c, kycDocumentsPath(userID), opts)
}
