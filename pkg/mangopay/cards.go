package mangopay

import (
	"context"
	"net/http"
)

// Card validities.
const (
	CardValidityUnknown = "UNKNOWN"
	CardValidityValid   = "VALID"
	CardValidityInvalid = "INVALID"
)

// Card providers.
const (
	CardProviderCB         = "CB"
	CardProviderVisa       = "VISA"
	CardProviderMastercard = "MASTERCARD"
	CardProviderAmex       = "AMEX"
	CardProviderMaestro    = "MAESTRO"
	CardProviderBCMC       = "BCMC"
	CardProviderJCB        = "JCB"
	CardProviderDiscover   = "DISCOVER"
)

// Card is a tokenized card.
type Card struct {
	ID           string `json:"Id"`
	Tag          string `json:"Tag"`
	CreationDate int64  `json:"CreationDate"`
	UserID       string `json:"UserId"`
	// ExpirationDate is "MMYY".
	ExpirationDate string `json:"ExpirationDate"`
	// Alias is the masked number, e.g. "497010XXXXXX8183".
	Alias        string `json:"Alias"`
	CardType     string `json:"CardType"`
	CardProvider string `json:"CardProvider"`
	// Country is ISO 3166-1 alpha-3, e.g. "FRA".
	Country  string `json:"Country"`
	Product  string `json:"Product"`
	BankCode string `json:"BankCode"`
	Active   bool   `json:"Active"`
	Currency string `json:"Currency"`
	// Validity is one of the CardValidity constants.
	Validity       string  `json:"Validity"`
	Fingerprint    string  `json:"Fingerprint"`
	CardHolderName *string `json:"CardHolderName"`
}

// cardDeactivate is the body that deactivates a card; Active is never
// omitted.
type cardDeactivate struct {
	Active bool `json:"Active"`
}

// GetCard fetches a card.
func (c *Client) GetCard(ctx context.Context, cardID string, opts ...CallOption) (*Card, error) {
	return get[Card](ctx, c, "/cards/"+escape(cardID), opts)
}

// DeactivateCard deactivates a card for good (PUT {"Active":false}).
func (c *Client) DeactivateCard(ctx context.Context, cardID string, opts ...CallOption) (*Card, error) {
	return send[Card](ctx, c, http.MethodPut, "/cards/"+escape(cardID), cardDeactivate{Active: false}, opts)
}

// ListCards lists userID's cards.
func (c *Client) ListCards(ctx context.Context, userID string, opts *ListOptions) (*Page[Card], error) {
	return list[Card](ctx, c, "/users/"+escape(userID)+"/cards", opts)
}
