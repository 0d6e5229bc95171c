package mangopay

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"time"
)

// redacted reports whether a JSON key's value must never reach a log:
// secrets, card data, bank details, personal contact data and file
// contents; a hook's Url, which ends with our secret hook token; an SCA
// RedirectUrl (PendingUserAction) and a 3-D Secure SecureModeRedirectURL,
// whose tokens are the user's session.
// Compared case-insensitively.
func redacted(key string) bool {
	switch strings.ToLower(key) {
	case "iban", "accountnumber", "sortcode", "aba", "bic", "institutionnumber", "branchcode",
		"file", "registrationdata", "preregistrationdata", "accesskey", "cardregistrationurl",
		"cardnumber", "cardcvx", "cvx", "access_token", "apikey", "api_key", "password",
		"email", "legalrepresentativeemail", "phonenumber", "fingerprint", "alias", "wirereference",
		"url", "redirecturl", "securemoderedirecturl":
		return true
	}
	return false
}

// debugLog logs one exchange when debug mode is on. The Authorization
// header is never logged; bodies are redacted by redactJSON.
func (b *HTTPBackend) debugLog(ctx context.Context, method, path string, status int, start time.Time, reqBody, respBody []byte) {
	if !b.debug {
		return
	}
	attrs := []any{
		"method", method, "path", path, "status", status,
		"duration_ms", time.Since(start).Milliseconds(),
	}
	if path != "/oauth/token" {
		attrs = append(attrs, "request", redactJSON(reqBody), "response", redactJSON(respBody))
	}
	b.log.DebugContext(ctx, "mangopay call", attrs...)
}

// redactJSON returns body with sensitive values replaced. A body that is
// not JSON is summarised by its size only.
func redactJSON(body []byte) any {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return slog.GroupValue(slog.Int("non_json_bytes", len(body)))
	}
	return redactValue(v)
}

func redactValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if redacted(k) {
				if x != nil {
					t[k] = "[REDACTED]"
				}
				continue
			}
			t[k] = redactValue(x)
		}
	case []any:
		for i, x := range t {
			t[i] = redactValue(x)
		}
	}
	return v
}
