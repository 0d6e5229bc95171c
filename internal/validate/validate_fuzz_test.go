package validate

import (
	"strings"
	"testing"
)

// ibanMod97 is the IBAN checksum computed digit by digit (ISO 7064
// piecewise), independently of ValidIBAN's big.Int.
func ibanMod97(s string) int {
	r := s[4:] + s[:4]
	m := 0
	for _, c := range r {
		switch {
		case c >= '0' && c <= '9':
			m = (m*10 + int(c-'0')) % 97
		default:
			m = (m*100 + int(c-'A'+10)) % 97
		}
	}
	return m
}

func refIBAN(s string) bool {
	if len(s) < 15 || len(s) > 34 {
		return false
	}
	for i, c := range s {
		letter, digit := c >= 'A' && c <= 'Z', c >= '0' && c <= '9'
		if (i < 2 && !letter) || (i >= 2 && i < 4 && !digit) || (!letter && !digit) {
			return false
		}
	}
	return ibanMod97(s) == 1
}

// FuzzIBAN: ValidIBAN agrees with an independent checksum, and the
// validator names the field it was given.
func FuzzIBAN(f *testing.F) {
	for _, s := range []string{"FR7630004000031234567890143", "FR7630004000031234567890144", "GB33BUKB20201555555555",
		"DE89370400440532013000", "fr7630004000031234567890143", "FR76 3000 4000 0312 3456 7890 143", "", "FR76", "ÀB12345678901234"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := ValidIBAN(s), refIBAN(s); got != want {
			t.Fatalf("ValidIBAN(%q) = %v, the reference says %v", s, got, want)
		}
		var v Errors
		if !v.IBAN("iban", s) {
			if l := v.List(); len(l) != 1 || l[0].Field != "iban" || l[0].Reason == "" {
				t.Fatalf("IBAN errors %+v: want one on iban", l)
			}
		}
	})
}

// FuzzFields: every check on any string either passes silently or adds
// exactly one error on the field it was given, never panicking.
func FuzzFields(f *testing.F) {
	for _, s := range []string{"", " ", "a@b.co", "Jo <a@b.co>", "FR", "fr", "EUR", "eur", "BNPAFRPP", "BNPAFRPPXXX", "BNPAFRP", strings.Repeat("é", 300)} {
		f.Add(s, int64(0))
	}
	f.Add("x", int64(-1))
	f.Add("x", int64(MaxAmount+1))
	f.Add("x", int64(-9223372036854775808))
	f.Fuzz(func(t *testing.T, s string, amount int64) {
		checks := map[string]func(v *Errors) bool{
			"required": func(v *Errors) bool { return v.Required("f", s) },
			"max_len":  func(v *Errors) bool { return v.MaxLen("f", s, 255) },
			"email":    func(v *Errors) bool { return v.Email("f", s) },
			"one_of":   func(v *Errors) bool { return v.OneOf("f", s, "A", "B") },
			"country":  func(v *Errors) bool { return v.Country("f", s) },
			"currency": func(v *Errors) bool { return v.Currency("f", s) },
			"bic":      func(v *Errors) bool { return v.BIC("f", s) },
			"amount":   func(v *Errors) bool { return v.Amount("f", amount, true) },
		}
		for name, check := range checks {
			var v Errors
			ok := check(&v)
			l := v.List()
			if ok != (len(l) == 0) || len(l) > 1 || (len(l) == 1 && (l[0].Field != "f" || l[0].Reason == "")) {
				t.Fatalf("%s(%q, %d): ok %v, errors %+v", name, s, amount, ok, l)
			}
		}
		var v Errors
		if v.Amount("f", amount, false) != (amount >= 0 && amount <= MaxAmount) {
			t.Fatalf("Amount(%d) accepted outside [0, MaxAmount]", amount)
		}
	})
}
