package mangopaytest

import (
	"net"
	"net/url"
	"regexp"
	"slices"
	"unicode/utf8"
)

var (
	reNumeric   = regexp.MustCompile(`^[+-]?[0-9]+$`)
	reDigits    = regexp.MustCompile(`^[0-9]+$`)
	reEmail     = regexp.MustCompile(`^[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}$`)
	reAlpha2    = regexp.MustCompile(`^[A-Z]{2}$`)
	reLanguage  = regexp.MustCompile(`^[a-zA-Z]{2}(-[a-zA-Z]{2})?$`)
	reStmtDesc  = regexp.MustCompile(`^[A-Za-z0-9 ]{1,10}$`)
	rePostal    = regexp.MustCompile(`^[A-Za-z0-9 \-]+$`)
	reIdemKey   = regexp.MustCompile(`^[A-Za-z0-9-]{16,36}$`)
	reBIC       = regexp.MustCompile(`^[a-zA-Z]{6}\w{2}(\w{3})?$`)
	reCulture   = regexp.MustCompile(`^[A-Z]{2}$`)
	reAlnum5_35 = regexp.MustCompile(`^[A-Za-z0-9]{5,35}$`)
)

// currencies is the documented set (§1.3).
var currencies = []string{"AED", "AUD", "CAD", "CHF", "CZK", "DKK", "EUR", "GBP", "HKD", "JPY", "NOK", "PLN", "SEK", "USD", "ZAR"}

// blockedCountries is the sandbox restricted-country list (§6.3).
var blockedCountries = []string{"MO", "MN", "VC"}

// money is the Money object of responses.
type money struct {
	Currency string `json:"Currency"`
	Amount   int64  `json:"Amount"`
}

// moneyIn is a Money object in a request.
type moneyIn struct {
	Currency *string `json:"Currency"`
	Amount   *int64  `json:"Amount"`
}

func (m *moneyIn) value() money { return money{Currency: *m.Currency, Amount: *m.Amount} }

// checkMoney validates a Money field; allowNeg permits a negative amount
// (refund fees).
func checkMoney(errs fieldErrs, name string, m *moneyIn, required, allowNeg bool) bool {
	if m == nil {
		if required {
			errs.required(name)
		}
		return false
	}
	ok := true
	if m.Currency == nil {
		errs.required(name + ".Currency")
		ok = false
	} else if !slices.Contains(currencies, *m.Currency) {
		errs.addf(name+".Currency", "Currency: The currency %s is not available", *m.Currency)
		ok = false
	}
	if m.Amount == nil {
		errs.required(name + ".Amount")
		ok = false
	} else if *m.Amount < 0 && !allowNeg {
		errs.addf(name+".Amount", "The field %s.Amount must be greater than or equal to 0.", name)
		ok = false
	}
	return ok
}

// address is the v2.01 Address object.
type address struct {
	AddressLine1 *string `json:"AddressLine1"`
	AddressLine2 *string `json:"AddressLine2"`
	City         *string `json:"City"`
	Region       *string `json:"Region"`
	PostalCode   *string `json:"PostalCode"`
	Country      *string `json:"Country"`
}

// orEmpty returns a (so that an unset address is written with null
// sub-fields, as Mangopay does).
func orEmpty(a *address) *address {
	if a == nil {
		return &address{}
	}
	return a
}

// checkAddress validates an Address; postal says whether PostalCode is
// required (user addresses) or optional (bank-account owner).
func checkAddress(errs fieldErrs, name string, a *address, required, postal bool) {
	if a == nil {
		if required {
			errs.required(name)
		}
		return
	}
	checkStr(errs, name+".AddressLine1", a.AddressLine1, true, 1, 255)
	checkStr(errs, name+".AddressLine2", a.AddressLine2, false, 0, 255)
	checkStr(errs, name+".City", a.City, true, 1, 255)
	checkStr(errs, name+".PostalCode", a.PostalCode, postal, 1, 255)
	if a.PostalCode != nil && *a.PostalCode != "" && !rePostal.MatchString(*a.PostalCode) {
		errs.addf(name+".PostalCode", "The field %s.PostalCode may only contain letters, digits, dashes and spaces.", name)
	}
	checkCountry(errs, name+".Country", a.Country, true)
	if a.Country != nil && slices.Contains([]string{"US", "CA", "MX"}, *a.Country) {
		checkStr(errs, name+".Region", a.Region, true, 1, 255)
	} else {
		checkStr(errs, name+".Region", a.Region, false, 0, 255)
	}
}

// checkStr validates a string field's presence and length (in characters).
func checkStr(errs fieldErrs, name string, p *string, required bool, lo, hi int) {
	if p == nil || *p == "" {
		if required {
			errs.required(name)
		}
		return
	}
	if n := utf8.RuneCountInString(*p); n < lo || n > hi {
		if lo <= 1 {
			errs.addf(name, "The field %s must be a string with a maximum length of %d.", name, hi)
		} else {
			errs.addf(name, "The field %s must be between %d and %d characters long.", name, lo, hi)
		}
	}
}

func checkRegex(errs fieldErrs, name string, p *string, required bool, re *regexp.Regexp) {
	if p == nil || *p == "" {
		if required {
			errs.required(name)
		}
		return
	}
	if !re.MatchString(*p) {
		errs.addf(name, "The field %s must match the regular expression '%s'.", name, re.String())
	}
}

func checkCountry(errs fieldErrs, name string, p *string, required bool) {
	checkRegex(errs, name, p, required, reAlpha2)
}

func checkEmail(errs fieldErrs, name string, p *string, required bool) {
	checkRegex(errs, name, p, required, reEmail)
	checkStr(errs, name, p, false, 0, 255)
}

func checkEnum(errs fieldErrs, name string, p *string, required bool, values ...string) {
	if p == nil || *p == "" {
		if required {
			errs.required(name)
		}
		return
	}
	if !slices.Contains(values, *p) {
		errs.addf(name, "The value %s is not valid for %s.", *p, name)
	}
}

// checkURL requires an absolute http(s) URL of at most max characters.
func checkURL(errs fieldErrs, name string, p *string, required bool, max int) {
	if p == nil || *p == "" {
		if required {
			errs.required(name)
		}
		return
	}
	u, err := url.Parse(*p)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs.addf(name, "The field %s must be a valid absolute URL.", name)
		return
	}
	checkStr(errs, name, p, false, 0, max)
}

func checkIP(errs fieldErrs, name string, p *string, required bool) {
	if p == nil || *p == "" {
		if required {
			errs.required(name)
		}
		return
	}
	if net.ParseIP(*p) == nil {
		errs.addf(name, "The field %s must be a valid IPv4 or IPv6 address.", name)
	}
}

// browserInfo is BrowserInfo (3DS2), in requests and responses.
type browserInfo struct {
	AcceptHeader      *string  `json:"AcceptHeader"`
	JavaEnabled       *bool    `json:"JavaEnabled"`
	Language          *string  `json:"Language"`
	ColorDepth        *int64   `json:"ColorDepth"`
	ScreenHeight      *int64   `json:"ScreenHeight"`
	ScreenWidth       *int64   `json:"ScreenWidth"`
	TimeZoneOffset    *flexInt `json:"TimeZoneOffset"`
	UserAgent         *string  `json:"UserAgent"`
	JavascriptEnabled *bool    `json:"JavascriptEnabled"`
}

// checkBrowserInfo requires every sub-field (JavascriptEnabled included).
func checkBrowserInfo(errs fieldErrs, b *browserInfo, required bool) {
	if b == nil {
		if required {
			errs.required("BrowserInfo")
		}
		return
	}
	checkStr(errs, "BrowserInfo.AcceptHeader", b.AcceptHeader, true, 1, 255)
	checkRegex(errs, "BrowserInfo.Language", b.Language, true, reLanguage)
	checkStr(errs, "BrowserInfo.UserAgent", b.UserAgent, true, 1, 255)
	for name, ok := range map[string]bool{
		"BrowserInfo.JavaEnabled": b.JavaEnabled != nil, "BrowserInfo.ColorDepth": b.ColorDepth != nil,
		"BrowserInfo.ScreenHeight": b.ScreenHeight != nil, "BrowserInfo.ScreenWidth": b.ScreenWidth != nil,
		"BrowserInfo.TimeZoneOffset": b.TimeZoneOffset != nil, "BrowserInfo.JavascriptEnabled": b.JavascriptEnabled != nil,
	} {
		if !ok {
			errs.required(name)
		}
	}
}

// billing is Billing or Shipping.
type billing struct {
	FirstName *string  `json:"FirstName"`
	LastName  *string  `json:"LastName"`
	Address   *address `json:"Address"`
}

func checkBilling(errs fieldErrs, name string, b *billing, addrRequired bool) {
	if b == nil {
		return
	}
	checkStr(errs, name+".FirstName", b.FirstName, false, 0, 100)
	checkStr(errs, name+".LastName", b.LastName, false, 0, 100)
	checkAddress(errs, name+".Address", b.Address, addrRequired, false)
}

// checkTag validates the optional Tag.
func checkTag(errs fieldErrs, tag *string) { checkStr(errs, "Tag", tag, false, 0, 255) }
