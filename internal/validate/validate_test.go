package validate

import (
	"testing"
)

func TestValidIBAN(t *testing.T) {
	for iban, ok := range map[string]bool{
		"FR7630004000031234567890143":       true,
		"GB82WEST12345698765432":            true,
		"DE89370400440532013000":            true,
		"FR7630004000031234567890144":       false, // checksum
		"FR76 3000 4000 0312 3456 7890 143": false,
		"fr7630004000031234567890143":       false,
		"FR76":                              false,
		"":                                  false,
	} {
		if ValidIBAN(iban) != ok {
			t.Errorf("ValidIBAN(%q) = %v, want %v", iban, !ok, ok)
		}
	}
}

func TestFieldChecks(t *testing.T) {
	var e Errors
	e.Required("first_name", "  ")
	e.Email("email", "not-an-email")
	e.Email("email2", "Alex <a@example.com>")
	e.Country("nationality", "fra")
	e.Currency("currency", "XXX")
	e.Amount("debited_funds.amount", -1, true)
	e.Amount("fees.amount", 0, false)
	e.Amount("big", MaxAmount+1, true)
	e.BIC("bic", "BNPAFRPP")
	e.BIC("bic2", "BNP")
	e.IBAN("iban", "FR7630004000031234567890143")
	e.MaxLen("tag", "ééé", 2)
	want := []string{"first_name", "email", "email2", "nationality", "currency", "debited_funds.amount", "big", "bic2", "tag"}
	got := e.List()
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i, f := range want {
		if got[i].Field != f || got[i].Reason == "" {
			t.Fatalf("error %d = %+v, want field %s", i, got[i], f)
		}
	}
	var none Errors
	none.Email("email", "a@example.com")
	if none.List() != nil {
		t.Fatalf("valid email rejected: %+v", none.List())
	}
}
