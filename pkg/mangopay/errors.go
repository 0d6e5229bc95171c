package mangopay

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Error types Mangopay returns that callers commonly branch on.
const (
	TypeParamError                 = "param_error"
	TypeRessourceNotFound          = "ressource_not_found"
	TypeInvalidCredentials         = "invalid_credentials"
	TypeRateLimit                  = "rate_limit"
	TypeIdempotentCreationConflict = "idempotent_creation_conflict"
	TypeCorrelationIDNotFound      = "correlationid_not_found"
	TypeCurrencyIncompatibility    = "currency_incompatibility"
	TypeTermsNotAccepted           = "user_hasnt_accepted_terms_and_conditions"
)

// Error is a non-2xx answer from Mangopay. Every error body shape is decoded
// into it: the usual {Message, Type, Id, Date, errors|Errors}, the 401
// invalid_credentials body, and the OAuth {error, error_description} body.
// Reach it with errors.As.
type Error struct {
	StatusCode int
	Type       string
	Message    string
	ID         string
	// Date is Mangopay's Unix time of the error; it is sometimes a float.
	Date float64
	// Fields maps a request field to what is wrong with it.
	Fields map[string]string
	// OAuthError and OAuthDescription hold the token endpoint's error shape.
	OAuthError       string
	OAuthDescription string
}

// Error describes the failure with the field errors, sorted by field.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "mangopay: HTTP %d", e.StatusCode)
	if e.Type != "" {
		fmt.Fprintf(&b, " %s", e.Type)
	}
	if e.OAuthError != "" {
		fmt.Fprintf(&b, " %s", e.OAuthError)
	}
	if msg := firstNonEmpty(e.Message, e.OAuthDescription); msg != "" {
		fmt.Fprintf(&b, ": %s", msg)
	}
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "; %s: %s", k, e.Fields[k])
	}
	if e.ID != "" {
		fmt.Fprintf(&b, " (error id %s)", e.ID)
	}
	return b.String()
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// IsNotFound reports whether err is Mangopay's 404 ressource_not_found.
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.StatusCode == 404
}

// IsValidation reports whether err is a 4xx rejection of the request's
// content (param_error and the like), as opposed to auth, rate or
// idempotency problems.
func IsValidation(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.StatusCode {
	case 400, 403, 413, 415, 422:
		return true
	}
	return false
}

// errorBody is every error shape Mangopay sends, decoded leniently.
type errorBody struct {
	Message          string          `json:"Message"`
	Type             string          `json:"Type"`
	ID               string          `json:"Id"`
	Date             json.RawMessage `json:"Date"`
	OAuthError       string          `json:"error"`
	OAuthDescription string          `json:"error_description"`
}

// DecodeError turns an error response body into *Error. It never fails:
// a body it cannot read still gives an Error with the status code and a
// short excerpt of the body as Message.
func DecodeError(status int, body []byte) *Error {
	e := &Error{StatusCode: status}
	var b errorBody
	if err := json.Unmarshal(body, &b); err != nil {
		e.Message = excerpt(body)
		return e
	}
	e.Message, e.Type, e.ID = b.Message, b.Type, b.ID
	e.OAuthError, e.OAuthDescription = b.OAuthError, b.OAuthDescription
	e.Date = decodeLooseNumber(b.Date)
	// encoding/json matches keys case-insensitively, so "errors" and
	// "Errors" are read by exact key instead.
	e.Fields = decodeFieldErrors(body)
	return e
}

// decodeFieldErrors reads "errors" or "Errors" exactly by key.
func decodeFieldErrors(body []byte) map[string]string {
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil {
		return nil
	}
	for _, key := range []string{"errors", "Errors"} {
		raw, ok := top[key]
		if !ok {
			continue
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) != nil || len(m) == 0 {
			continue
		}
		out := make(map[string]string, len(m))
		for k, v := range m {
			var s string
			if json.Unmarshal(v, &s) != nil {
				s = excerpt(v)
			}
			out[k] = s
		}
		return out
	}
	return nil
}

// decodeLooseNumber reads a number that may be an int, a float or a string.
func decodeLooseNumber(raw json.RawMessage) float64 {
	if len(raw) == 0 {
		return 0
	}
	var f float64
	if json.Unmarshal(raw, &f) == nil {
		return f
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		var n json.Number = json.Number(strings.TrimSpace(s))
		if v, err := n.Float64(); err == nil {
			return v
		}
	}
	return 0
}

func excerpt(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
