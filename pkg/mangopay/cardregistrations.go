package mangopay

import (
	"context"
	"net/http"
)

// Card types of card registrations and web pay-ins.
const (
	CardTypeCBVisaMastercard = "CB_VISA_MASTERCARD"
	CardTypeAmex             = "AMEX"
	CardTypeMaestro          = "MAESTRO"
	CardTypeBCMC             = "BCMC"
)

// Card registration statuses.
const (
	CardRegistrationStatusCreated   = "CREATED"
	CardRegistrationStatusValidated = "VALIDATED"
	CardRegistrationStatusError     = "ERROR"
)

// CardRegistration tokenizes a card. Post the card to CardRegistrationURL
// from the browser (form fields data=PreregistrationData,
// accessKeyRef=AccessKey, cardNumber, cardExpirationDate as MMYY, cardCvx),
// then pass the whole answer ("data=…" or "errorCode=…") to
// UpdateCardRegistration.
type CardRegistration struct {
	ID                  string  `json:"Id"`
	Tag                 string  `json:"Tag"`
	CreationDate        int64   `json:"CreationDate"`
	UserID              string  `json:"UserId"`
	AccessKey           string  `json:"AccessKey"`
	PreregistrationData string  `json:"PreregistrationData"`
	RegistrationData    *string `json:"RegistrationData"`
	// CardID is set once the registration is VALIDATED.
	CardID              *string `json:"CardId"`
	CardType            string  `json:"CardType"`
	CardRegistrationURL string  `json:"CardRegistrationURL"`
	ResultCode          *string `json:"ResultCode"`
	ResultMessage       *string `json:"ResultMessage"`
	Currency            string  `json:"Currency"`
	// Status is one of the CardRegistrationStatus constants.
	Status string `json:"Status"`
}

// CardRegistrationCreate is the body of POST /cardregistrations.
type CardRegistrationCreate struct {
	UserID   string `json:"UserId"`
	Currency string `json:"Currency"`
	// CardType defaults to CB_VISA_MASTERCARD.
	CardType string `json:"CardType,omitempty"`
	Tag      string `json:"Tag,omitempty"`
}

// CardRegistrationUpdate is the body of PUT /cardregistrations/{id}.
type CardRegistrationUpdate struct {
	// RegistrationData is the vault's whole answer, "data=" prefix included.
	RegistrationData string `json:"RegistrationData"`
	// CardHolderName (2 to 255 characters) is stored on the Card.
	CardHolderName string `json:"CardHolderName,omitempty"`
}

// CreateCardRegistration starts tokenizing a card for a user.
func (c *Client) CreateCardRegistration(ctx context.Context, params *CardRegistrationCreate, opts ...CallOption) (*CardRegistration, error) {
	return send[CardRegistration](ctx, c, http.MethodPost, "/cardregistrations", params, opts)
}

// GetCardRegistration fetches a card registration.
func (c *Client) GetCardRegistration(ctx context.Context, id string, opts ...CallOption) (*CardRegistration, error) {
	return get[CardRegistration](ctx, c, "/cardregistrations/"+escape(id), opts)
}

// UpdateCardRegistration completes a registration with the vault's answer.
// A bad answer gives a value with Status ERROR and a ResultCode, not an
// error.
func (c *Client) UpdateCardRegistration(ctx context.Context, id string, params *CardRegistrationUpdate, opts ...CallOption) (*CardRegistration, error) {
	return send[CardRegistration](ctx, c, http.MethodPut, "/cardregistrations/"+escape(id), params, opts)
}
