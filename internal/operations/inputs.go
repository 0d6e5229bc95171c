package operations

import (
	"regexp"
	"time"

	"github.com/lambda-mangopay/lambda-mangopay/internal/validate"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// dateLayout is how dates (birthdays) are written in requests.
const dateLayout = "2006-01-02"

// checkDate records an error when s is set and not a past YYYY-MM-DD date.
func checkDate(v *validate.Errors, field, s string) {
	if s == "" {
		return
	}
	t, err := time.Parse(dateLayout, s)
	v.Check(err == nil && t.Before(time.Now()) && t.Year() >= 1900, field, "must be a past date written YYYY-MM-DD, e.g. 1990-04-21")
}

// unixDate is a YYYY-MM-DD date as Mangopay's midnight-UTC Unix seconds.
func unixDate(s string) *int64 {
	if s == "" {
		return nil
	}
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return nil
	}
	u := t.Unix()
	return &u
}

// dateTime is a YYYY-MM-DD date as a UTC time.
func dateTime(s string) *time.Time {
	if u := unixDate(s); u != nil {
		return mangopayTime(*u)
	}
	return nil
}

// checkAddress validates an address the way Mangopay does: line 1, city,
// postal code and country required, region required in US, CA and MX.
func checkAddress(v *validate.Errors, field string, a *records.Address, required bool) {
	if a == nil {
		v.Check(!required, field, "is required")
		return
	}
	v.Required(field+".line1", a.AddressLine1)
	v.MaxLen(field+".line1", a.AddressLine1, 255)
	v.MaxLen(field+".line2", a.AddressLine2, 255)
	v.Required(field+".city", a.City)
	v.Required(field+".postal_code", a.PostalCode)
	if v.Required(field+".country", a.Country) {
		v.Country(field+".country", a.Country)
	}
	switch a.Country {
	case "US", "CA", "MX":
		v.Required(field+".region", a.Region)
	}
}

// toMangopayAddress converts an address for Mangopay.
func toMangopayAddress(a *records.Address) *mangopay.Address {
	if a == nil {
		return nil
	}
	return &mangopay.Address{AddressLine1: a.AddressLine1, AddressLine2: a.AddressLine2, City: a.City,
		Region: a.Region, PostalCode: a.PostalCode, Country: a.Country}
}

// fromMangopayAddress converts Mangopay's address for our records.
func fromMangopayAddress(a *mangopay.Address) *records.Address {
	if a == nil || a.IsZero() {
		return nil
	}
	return &records.Address{AddressLine1: a.AddressLine1, AddressLine2: a.AddressLine2, City: a.City,
		Region: a.Region, PostalCode: a.PostalCode, Country: a.Country}
}

// checkExternalUserID validates the calling system's reference.
func checkExternalUserID(v *validate.Errors, s string) {
	if v.Required("external_user_id", s) {
		v.MaxLen("external_user_id", s, 128)
	}
}

// checkTag validates a free-form tag.
func checkTag(v *validate.Errors, s string) { v.MaxLen("tag", s, 255) }

// recordIDRE is the form of every record id (records.IDGenerator): a
// lower-case kind prefix, "_", 26 Crockford base32 characters. Anything
// else (a path, an encoded "../", a 5000-character string) is refused
// before any look-up.
var recordIDRE = regexp.MustCompile(`^[a-z]{3}_[0-9A-HJKMNP-TV-Z]{26}$`)

// checkID validates a record id given in the path or body.
func checkID(v *validate.Errors, field, id string, kinds ...records.Kind) {
	if !v.Required(field, id) {
		return
	}
	if !recordIDRE.MatchString(id) {
		v.Add(field, "is not a record id (a prefix, _ and 26 letters and digits, e.g. wlt_01JD8Q0Z7Y3K4M5N6P7Q8R9S0T)")
		return
	}
	k, ok := records.KindOfID(id)
	if ok {
		for _, want := range kinds {
			if k == want {
				return
			}
		}
	}
	v.Add(field, "is not the id of a %s record", kindList(kinds))
}

func kindList(kinds []records.Kind) string {
	s := ""
	for i, k := range kinds {
		if i > 0 {
			s += " or "
		}
		s += string(k)
	}
	return s
}
