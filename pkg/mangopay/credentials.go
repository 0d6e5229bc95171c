package mangopay

import (
	"context"
	"fmt"
)

// Credentials are the client id and API key Mangopay issued to the platform.
type Credentials struct {
	ClientID string
	APIKey   string
}

// Valid reports whether both parts are set.
func (c Credentials) Valid() error {
	if c.ClientID == "" || c.APIKey == "" {
		return fmt.Errorf("mangopay: credentials need both a client id and an API key")
	}
	return nil
}

// CredentialSource supplies credentials to the client. The client asks for
// them before each call (implementations cache), and calls Refresh when
// Mangopay rejects them, so that a rotated secret is picked up.
type CredentialSource interface {
	Credentials(ctx context.Context) (Credentials, error)
	Refresh(ctx context.Context) (Credentials, error)
}

// StaticCredentials is a CredentialSource that never changes.
type StaticCredentials Credentials

// Credentials returns the fixed credentials.
func (s StaticCredentials) Credentials(context.Context) (Credentials, error) {
	return Credentials(s), nil
}

// Refresh returns the fixed credentials: there is nothing to re-read.
func (s StaticCredentials) Refresh(context.Context) (Credentials, error) {
	return Credentials(s), nil
}
