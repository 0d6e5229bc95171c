package records

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
)

// Fields of Mangopay payloads that are never stored as returned: full
// account numbers are masked, tokenization secrets and the SCA redirect URL
// (PendingUserAction.RedirectUrl, which carries the user's token) are
// dropped.
var (
	maskedFields = map[string]func(string) string{
		"IBAN":          MaskIBAN,
		"AccountNumber": MaskTail,
	}
	droppedFields = map[string]bool{
		"AccessKey":           true,
		"PreregistrationData": true,
		"RegistrationData":    true,
		"CardRegistrationURL": true,
		"RedirectUrl":         true,
	}
)

// Redacted replaces a dropped field's value.
const Redacted = "[redacted]"

// RedactRaw returns raw with account numbers masked and card tokenization
// secrets replaced by Redacted, at any depth. Empty input stays empty; input
// that is not JSON is an error.
func RedactRaw(raw json.RawMessage) (json.RawMessage, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, errors.New("not valid JSON")
	}
	if !redactValue(v) {
		return raw, nil
	}
	return json.Marshal(v)
}

// redactValue redacts v in place and reports whether it changed anything.
func redactValue(v any) bool {
	changed := false
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			changed = redactField(t, k, x) || changed
		}
	case []any:
		for _, x := range t {
			changed = redactValue(x) || changed
		}
	}
	return changed
}

func redactField(m map[string]any, k string, x any) bool {
	s, isString := x.(string)
	switch {
	case droppedFields[k] && isString && s != "":
		m[k] = Redacted
		return true
	case maskedFields[k] != nil && isString && s != "":
		masked := maskedFields[k](s)
		m[k] = masked
		return masked != s
	}
	return redactValue(x)
}

// MaskIBAN keeps an IBAN's country and check digits and its last four
// characters: "FR7630004000031234567890143" becomes "FR76…0143".
func MaskIBAN(iban string) string {
	s := strings.ReplaceAll(iban, " ", "")
	if len(s) <= 8 {
		return MaskTail(s)
	}
	return s[:4] + "…" + s[len(s)-4:]
}

// MaskTail keeps the last four characters of an account number: "…7911".
func MaskTail(number string) string {
	s := strings.ReplaceAll(number, " ", "")
	if len(s) <= 4 {
		return "…"
	}
	return "…" + s[len(s)-4:]
}
