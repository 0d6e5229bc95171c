package mangopay

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidIdempotencyKey is returned before any network call when an
// Idempotency-Key does not have Mangopay's format.
var ErrInvalidIdempotencyKey = errors.New("mangopay: invalid Idempotency-Key: use 16 to 36 letters, digits or dashes (see DeriveIdempotencyKey)")

// ValidIdempotencyKey reports whether key has Mangopay's format: 16 to 36
// characters, each a letter, digit or dash.
func ValidIdempotencyKey(key string) bool {
	if len(key) < 16 || len(key) > 36 {
		return false
	}
	for _, r := range key {
		ok := r == '-' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
		if !ok {
			return false
		}
	}
	return true
}

// DeriveIdempotencyKey makes a valid key from stable parts (for example a
// record id and an operation name): the same parts always give the same
// 36-character key.
func DeriveIdempotencyKey(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return "lmp-" + hex.EncodeToString(h[:16])
}

func checkIdempotencyKey(key string) error {
	if key == "" || ValidIdempotencyKey(key) {
		return nil
	}
	return fmt.Errorf("%w (got %d characters)", ErrInvalidIdempotencyKey, len(key))
}
