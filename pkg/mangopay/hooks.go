package mangopay

import (
	"context"
	"net/http"
)

// Hook statuses.
const (
	HookStatusEnabled  = "ENABLED"
	HookStatusDisabled = "DISABLED"
)

// Hook validities.
const (
	HookValidityValid   = "VALID"
	HookValidityInvalid = "INVALID"
)

// Hook makes Mangopay call URL (GET ?EventType=…&RessourceId=…&Date=…, no
// body, no signature) on each event of EventType. Re-fetch the resource
// before acting on a notification.
type Hook struct {
	ID           string `json:"Id"`
	Tag          string `json:"Tag"`
	CreationDate int64  `json:"CreationDate"`
	URL          string `json:"Url"`
	// Status is ENABLED or DISABLED.
	Status string `json:"Status"`
	// Validity is VALID or INVALID (after 100 failed deliveries).
	Validity  string `json:"Validity"`
	EventType string `json:"EventType"`
}

// HookCreate is the body of POST /hooks. There can be one hook per
// EventType.
type HookCreate struct {
	EventType string `json:"EventType"`
	URL       string `json:"Url"`
	Tag       string `json:"Tag,omitempty"`
}

// HookUpdate is the body of PUT /hooks/{id}; empty fields stay unchanged.
type HookUpdate struct {
	URL string `json:"Url,omitempty"`
	// Status is ENABLED or DISABLED.
	Status string `json:"Status,omitempty"`
	// Validity "VALID" resets an INVALID hook.
	Validity string `json:"Validity,omitempty"`
	Tag      string `json:"Tag,omitempty"`
}

// CreateHook registers a hook for one EventType.
func (c *Client) CreateHook(ctx context.Context, params *HookCreate, opts ...CallOption) (*Hook, error) {
	return send[Hook](ctx, c, http.MethodPost, "/hooks", params, opts)
}

// GetHook fetches a hook.
func (c *Client) GetHook(ctx context.Context, hookID string, opts ...CallOption) (*Hook, error) {
	return get[Hook](ctx, c, "/hooks/"+escape(hookID), opts)
}

// UpdateHook changes a hook's URL, Status, Validity or Tag.
func (c *Client) UpdateHook(ctx context.Context, hookID string, params *HookUpdate, opts ...CallOption) (*Hook, error) {
	return send[Hook](ctx, c, http.MethodPut, "/hooks/"+escape(hookID), params, opts)
}

// ListHooks lists the platform's hooks, enabled and disabled.
func (c *Client) ListHooks(ctx context.Context, opts *ListOptions) (*Page[Hook], error) {
	return list[Hook](ctx, c, "/hooks", opts)
}
