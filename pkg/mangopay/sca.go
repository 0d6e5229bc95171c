package mangopay

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// ScaContext values: of transfers between OWNER users (TransferCreate), and
// of the wallet reads (GetWallet, ListWallets, ListWalletTransactions). Since 2025-12-15 Mangopay applies strong
// customer authentication (SCA) when an OWNER user's wallets are read with
// the user present, which is the default.
const (
	// ScaContextUserPresent: the user is in front of the platform and can
	// be sent to authenticate (Mangopay's default).
	ScaContextUserPresent = "USER_PRESENT"
	// ScaContextUserNotPresent: the platform's backend reads without the
	// user.
	ScaContextUserNotPresent = "USER_NOT_PRESENT"
)

// WithScaContext sets the ScaContext query of a wallet read
// (ScaContextUserPresent or ScaContextUserNotPresent). "" leaves it out,
// so that Mangopay applies its default, USER_PRESENT.
func WithScaContext(scaContext string) CallOption {
	return func(r *Request) {
		if scaContext == "" {
			return
		}
		if r.Query == nil {
			r.Query = url.Values{}
		}
		r.Query.Set("ScaContext", scaContext)
	}
}

// SCARequiredError is Mangopay's answer that the user must complete strong
// customer authentication first: HTTP 401 with no body and the header
// "WWW-Authenticate: PendingUserAction redirectUrl=<url>". It is not a
// credentials problem: the client neither refreshes its token nor retries.
// Send the user to RedirectURL, then call again.
//
// RedirectURL carries a token that is the user's: Error() never includes
// it, so that the error can be logged; do not log RedirectURL itself.
type SCARequiredError struct {
	// StatusCode is the HTTP status (401).
	StatusCode int
	// RedirectURL is where the user completes SCA; "" when Mangopay gave
	// none.
	RedirectURL string
}

// Error describes the answer without the redirect URL's query (its token):
// only its scheme and host are shown.
func (e *SCARequiredError) Error() string {
	s := "mangopay: HTTP 401 PendingUserAction: the user must complete strong customer authentication"
	if u, err := url.Parse(e.RedirectURL); err == nil && u.Host != "" {
		s += " at " + u.Scheme + "://" + u.Host + " (redirect URL withheld)"
	}
	return s
}

// IsSCARequired reports whether err is Mangopay asking for the user's strong
// customer authentication (a *SCARequiredError; reach its RedirectURL with
// errors.As).
func IsSCARequired(err error) bool {
	var e *SCARequiredError
	return errors.As(err, &e)
}

// pendingUserAction reads a PendingUserAction challenge from the
// WWW-Authenticate header(s): whether there is one, and its redirectUrl.
// It is tolerant: the scheme and parameter names in any case, the value
// quoted (with backslash escapes) or not, other parameters and other
// challenges around it, several header lines.
func pendingUserAction(h http.Header) (string, bool) {
	for _, line := range h.Values("Www-Authenticate") {
		if redirect, ok := parsePendingUserAction(line); ok {
			return redirect, true
		}
	}
	return "", false
}

// parsePendingUserAction scans one WWW-Authenticate value: a list of
// challenges "scheme [param=value, ...]" separated by commas.
func parsePendingUserAction(s string) (string, bool) {
	p := &challengeScanner{s: s}
	found, redirect := false, ""
	inScheme := false // the parameters read belong to PendingUserAction
	for {
		p.skip(" \t,")
		if p.done() {
			return redirect, found
		}
		name := p.token()
		if name == "" { // a stray character: skip it
			p.i++
			continue
		}
		p.skip(" \t")
		if p.peek() != '=' {
			// A new challenge's scheme (or a token68 we ignore).
			inScheme = strings.EqualFold(name, "PendingUserAction")
			if inScheme && found {
				return redirect, true // a second challenge of the same scheme
			}
			found = found || inScheme
			continue
		}
		p.i++ // '='
		p.skip(" \t")
		value := p.value()
		if inScheme && strings.EqualFold(name, "redirectUrl") && redirect == "" {
			redirect = value
		}
	}
}

// challengeScanner walks a WWW-Authenticate value.
type challengeScanner struct {
	s string
	i int
}

func (p *challengeScanner) done() bool { return p.i >= len(p.s) }

func (p *challengeScanner) peek() byte {
	if p.done() {
		return 0
	}
	return p.s[p.i]
}

func (p *challengeScanner) skip(chars string) {
	for !p.done() && strings.IndexByte(chars, p.s[p.i]) >= 0 {
		p.i++
	}
}

// token reads a scheme or parameter name.
func (p *challengeScanner) token() string {
	start := p.i
	for !p.done() && strings.IndexByte(" \t,=\"", p.s[p.i]) < 0 {
		p.i++
	}
	return p.s[start:p.i]
}

// value reads a parameter value: a quoted string, or everything up to the
// next comma or blank (an unquoted URL keeps its '=' and '&').
func (p *challengeScanner) value() string {
	if p.peek() != '"' {
		start := p.i
		for !p.done() && strings.IndexByte(" \t,", p.s[p.i]) < 0 {
			p.i++
		}
		return p.s[start:p.i]
	}
	p.i++
	var b strings.Builder
	for !p.done() {
		c := p.s[p.i]
		p.i++
		switch {
		case c == '\\' && !p.done():
			b.WriteByte(p.s[p.i])
			p.i++
		case c == '"':
			return b.String()
		default:
			b.WriteByte(c)
		}
	}
	return b.String() // an unterminated quote: take what there is
}
