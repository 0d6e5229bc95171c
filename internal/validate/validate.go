// Package validate checks request fields before anything is written or
// sent to Mangopay, collecting every problem with the field it belongs to.
package validate

import (
	"fmt"
	"math/big"
	"net/mail"
	"regexp"
	"strings"

	"github.com/lambda-mangopay/lambda-mangopay/internal/problem"
)

// Errors collects field errors. The zero value is ready to use.
type Errors struct {
	list []problem.FieldError
}

// Add records a problem with field.
func (e *Errors) Add(field, format string, args ...any) {
	e.list = append(e.list, problem.FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
}

// Check records reason for field when ok is false, and returns ok.
func (e *Errors) Check(ok bool, field, reason string) bool {
	if !ok {
		e.Add(field, "%s", reason)
	}
	return ok
}

// List returns the collected errors, or nil when there are none.
func (e *Errors) List() []problem.FieldError {
	if len(e.list) == 0 {
		return nil
	}
	return e.list
}

// Required records an error when s is empty or only spaces.
func (e *Errors) Required(field, s string) bool {
	return e.Check(strings.TrimSpace(s) != "", field, "is required")
}

// MaxLen records an error when s is longer than n characters.
func (e *Errors) MaxLen(field, s string, n int) bool {
	return e.Check(len([]rune(s)) <= n, field, fmt.Sprintf("must be at most %d characters", n))
}

// Email records an error when s is set and not a plain email address.
func (e *Errors) Email(field, s string) bool {
	if s == "" {
		return true
	}
	a, err := mail.ParseAddress(s)
	return e.Check(err == nil && a.Address == s && a.Name == "", field, "must be an email address such as name@example.com")
}

// OneOf records an error when s is set and not one of allowed.
func (e *Errors) OneOf(field, s string, allowed ...string) bool {
	if s == "" {
		return true
	}
	for _, a := range allowed {
		if s == a {
			return true
		}
	}
	e.Add(field, "must be one of %s", strings.Join(allowed, ", "))
	return false
}

// Country records an error when s is set and not two upper-case letters
// (ISO 3166-1 alpha-2).
func (e *Errors) Country(field, s string) bool {
	if s == "" {
		return true
	}
	return e.Check(countryRe.MatchString(s), field, "must be an ISO 3166-1 alpha-2 country code such as FR")
}

var countryRe = regexp.MustCompile(`^[A-Z]{2}$`)

// Currencies are the ISO 4217 codes Mangopay documents. What a platform
// may use depends on its contract; Mangopay rejects the rest.
func Currencies() []string {
	return []string{"AED", "AUD", "CAD", "CHF", "CZK", "DKK", "EUR", "GBP", "HKD", "JPY", "NOK", "PLN", "SEK", "USD", "ZAR"}
}

// Currency records an error when s is not a currency Mangopay documents.
func (e *Errors) Currency(field, s string) bool {
	if !e.Required(field, s) {
		return false
	}
	return e.OneOf(field, s, Currencies()...)
}

// MaxAmount is the largest amount accepted, in minor units: far above any
// real payment, far below int64 overflow when amounts are added.
const MaxAmount = 1_000_000_000_00

// Amount records an error when an amount in minor units is negative, above
// MaxAmount, or zero when positive is true.
func (e *Errors) Amount(field string, amount int64, positive bool) bool {
	switch {
	case amount < 0:
		e.Add(field, "must not be negative (amounts are in minor units, e.g. 1050 for EUR 10.50)")
	case positive && amount == 0:
		e.Add(field, "must be greater than zero (minor units, e.g. 1050 for EUR 10.50)")
	case amount > MaxAmount:
		e.Add(field, "must be at most %d minor units", MaxAmount)
	default:
		return true
	}
	return false
}

// IBAN records an error when s is not an IBAN with a valid checksum.
// Spaces are not allowed: send the IBAN in its electronic form.
func (e *Errors) IBAN(field, s string) bool {
	return e.Check(ValidIBAN(s), field, "must be a valid IBAN (country code, check digits, account; no spaces), e.g. FR7630004000031234567890143")
}

// BIC records an error when s is set and not a BIC (8 or 11 characters).
func (e *Errors) BIC(field, s string) bool {
	if s == "" {
		return true
	}
	return e.Check(bicRe.MatchString(s), field, "must be a BIC of 8 or 11 letters and digits, e.g. BNPAFRPP")
}

// bicRe: 4-letter bank, 2-letter country, 2 location, optional 3 branch.
var bicRe = regexp.MustCompile(`^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$`)

var ibanRe = regexp.MustCompile(`^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$`)

// ValidIBAN checks the IBAN's form and its ISO 7064 mod-97 checksum.
func ValidIBAN(s string) bool {
	if !ibanRe.MatchString(s) {
		return false
	}
	rearranged := s[4:] + s[:4]
	var digits strings.Builder
	for _, r := range rearranged {
		if r >= 'A' && r <= 'Z' {
			fmt.Fprintf(&digits, "%d", r-'A'+10)
		} else {
			digits.WriteRune(r)
		}
	}
	n, ok := new(big.Int).SetString(digits.String(), 10)
	return ok && new(big.Int).Mod(n, big.NewInt(97)).Int64() == 1
}
