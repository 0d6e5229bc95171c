// Package leakcheck finds secrets and personal data in log output: known
// secrets (an API key, bearer tokens a test captured), card numbers, CVV
// values, full IBANs, bearer and basic credentials, strong customer
// authentication (SCA) redirect URLs with their token, and the bytes of KYC
// pages (PDF, PNG, JPEG, raw or in base64). Tests run it over the logs of
// a whole run; a finding never repeats what it found, only a masked hint.
package leakcheck

import (
	"bytes"
	"fmt"
	"math/big"
	"regexp"
	"strings"
)

// Kinds of findings.
const (
	KindSecret     = "secret"      // one of the secrets passed to Scan
	KindCardNumber = "card-number" // 13 to 19 digits passing Luhn, with a card network's first digit
	KindCVV        = "cvv"         // a CVV/CVX/CVC field with a 3 or 4 digit value
	KindIBAN       = "iban"        // a full IBAN with a valid mod-97 checksum
	KindBearer     = "bearer-token"
	KindBasic      = "basic-credentials"
	KindPageBytes  = "page-bytes" // PDF/PNG/JPEG magic, raw or base64
	KindSCAToken   = "sca-token"  // an SCA redirect URL (Mangopay's PendingUserAction) with its token
)

// MinSecretLen is the shortest secret Scan looks for: shorter strings
// would match ordinary text.
const MinSecretLen = 8

// Finding is one leak: its kind, the 1-based line it is on, and a masked
// hint (never the value itself).
type Finding struct {
	Kind string
	Line int
	Hint string
}

// String describes the finding.
func (f Finding) String() string { return fmt.Sprintf("line %d: %s (%s)", f.Line, f.Kind, f.Hint) }

var (
	// Digit runs of 13 to 19 digits, optionally grouped by single spaces
	// or dashes, not glued to other digits or letters.
	cardRe = regexp.MustCompile(`(?:^|[^0-9A-Za-z])([2-6][0-9](?:[ -]?[0-9]){11,17})(?:$|[^0-9A-Za-z])`)
	// A CVV-like field with a value: JSON ("cardCvx":"123") or form (cardCvx=123).
	cvvRe = regexp.MustCompile(`(?i)(?:card_?)?(?:cvv2?|cvx|cvc2?|security_?code)"?\s*[:=]\s*"?([0-9]{3,4})(?:[^0-9]|$)`)
	// An IBAN, compact or in groups of four.
	ibanRe = regexp.MustCompile(`(?:^|[^0-9A-Za-z])([A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30})(?:$|[^0-9A-Za-z])`)
	// Credentials in an Authorization header or an OAuth answer.
	bearerRe = regexp.MustCompile(`(?i)bearer\s+([A-Za-z0-9._~+/=-]{8,})`)
	tokenRe  = regexp.MustCompile(`(?i)"access_token"\s*:\s*"([^"\[][^"]*)"`)
	basicRe  = regexp.MustCompile(`(?i)basic\s+([A-Za-z0-9+/]{8,}={0,2})`)
	// An SCA redirect URL: "sca" in its host or path, a token in its query
	// (& possibly escaped by a JSON encoder as \u0026).
	scaRe = regexp.MustCompile(`(?i)https?://[^\s"\\?]*sca[^\s"\\?]*\?(?:[^\s"]*?(?:&|\\u0026))?token=([^&\s"\\]{8,})`)
)

// pageMagic are the starts of PDF, PNG and JPEG files, raw, as Go's JSON
// encoder writes them (invalid UTF-8 becomes \ufffd), and in base64.
var pageMagic = []struct{ what, magic string }{
	{"PDF", "%PDF-"},
	{"PNG", "\x89PNG\r\n\x1a\n"},
	{"PNG", `PNG\r\n\u001a\n`},
	{"JPEG", "\xff\xd8\xff"},
	{"JPEG", "\x10JFIF"},
	{"JPEG", `\u0010JFIF`},
	{"JPEG", `Exif\u0000\u0000`},
	{"PDF in base64", "JVBERi0"},
	{"PNG in base64", "iVBORw0KGgo"},
	{"JPEG in base64", "/9j/"},
}

// Scan reports every leak in logs (JSON lines or any text), line by line.
// secrets are values that must never appear (e.g. the Mangopay API key,
// the bearer tokens the fake issued); those shorter than MinSecretLen are
// ignored.
func Scan(logs []byte, secrets ...string) []Finding {
	var out []Finding
	for i, line := range bytes.Split(logs, []byte("\n")) {
		out = append(out, scanLine(string(line), i+1, secrets)...)
	}
	return out
}

func scanLine(line string, n int, secrets []string) []Finding {
	var out []Finding
	add := func(kind, hint string) { out = append(out, Finding{Kind: kind, Line: n, Hint: hint}) }
	for _, s := range secrets {
		if len(s) >= MinSecretLen && strings.Contains(line, s) {
			add(KindSecret, mask(s))
		}
	}
	for _, m := range cardRe.FindAllStringSubmatch(line, -1) {
		digits := strings.NewReplacer(" ", "", "-", "").Replace(m[1])
		if len(digits) >= 13 && len(digits) <= 19 && Luhn(digits) {
			add(KindCardNumber, fmt.Sprintf("%d digits ending %s", len(digits), digits[len(digits)-4:]))
		}
	}
	for range cvvRe.FindAllStringSubmatch(line, -1) {
		add(KindCVV, "a CVV field with a value")
	}
	for _, m := range ibanRe.FindAllStringSubmatch(line, -1) {
		iban := strings.ReplaceAll(m[1], " ", "")
		if ValidIBAN(iban) {
			add(KindIBAN, iban[:4]+"…"+iban[len(iban)-2:])
		}
	}
	for _, m := range bearerRe.FindAllStringSubmatch(line, -1) {
		add(KindBearer, mask(m[1]))
	}
	for _, m := range tokenRe.FindAllStringSubmatch(line, -1) {
		add(KindBearer, "access_token "+mask(m[1]))
	}
	for _, m := range basicRe.FindAllStringSubmatch(line, -1) {
		add(KindBasic, mask(m[1]))
	}
	for _, m := range scaRe.FindAllStringSubmatch(line, -1) {
		add(KindSCAToken, mask(m[1]))
	}
	for _, p := range pageMagic {
		if strings.Contains(line, p.magic) {
			add(KindPageBytes, p.what)
		}
	}
	return out
}

// mask shows the first two characters and the length of a value.
func mask(s string) string {
	if len(s) <= 2 {
		return fmt.Sprintf("%d characters", len(s))
	}
	return fmt.Sprintf("%s… (%d characters)", s[:2], len(s))
}

// Luhn reports whether a string of digits passes the Luhn check.
func Luhn(digits string) bool {
	sum, double := 0, false
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if d < 0 || d > 9 {
			return false
		}
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return len(digits) > 0 && sum%10 == 0
}

// ValidIBAN reports whether s is a compact IBAN (country, check digits,
// 11 to 30 letters or digits) whose ISO 7064 mod-97 checksum is 1.
func ValidIBAN(s string) bool {
	if len(s) < 15 || len(s) > 34 {
		return false
	}
	var digits strings.Builder
	for _, r := range s[4:] + s[:4] {
		switch {
		case r >= '0' && r <= '9':
			digits.WriteRune(r)
		case r >= 'A' && r <= 'Z':
			fmt.Fprintf(&digits, "%d", r-'A'+10)
		default:
			return false
		}
	}
	n, ok := new(big.Int).SetString(digits.String(), 10)
	return ok && new(big.Int).Mod(n, big.NewInt(97)).Int64() == 1
}
