package mangopaytest

import (
	"net/http"
	"net/url"
	"strings"
)

// call is one API request as handlers see it. Handlers run with Server.mu
// held and must not block.
type call struct {
	method  string
	rel     string            // path after /v2.01/{ClientId}
	params  map[string]string // path parameters
	query   map[string][]string
	body    []byte
	idemKey string
	fullURL string
}

// param returns a path parameter.
func (c *call) param(name string) string { return c.params[name] }

// q returns the values of a query key (matched case-insensitively), with
// comma-separated values split.
func (c *call) q(name string) []string {
	var out []string
	for _, v := range c.query[strings.ToLower(name)] {
		for _, part := range strings.Split(v, ",") {
			if p := strings.TrimSpace(part); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// q1 returns the first raw value of a query key and whether it is present.
func (c *call) q1(name string) (string, bool) {
	v, ok := c.query[strings.ToLower(name)]
	if !ok || len(v) == 0 {
		return "", ok
	}
	return strings.TrimSpace(v[0]), true
}

func lowerQuery(v url.Values) map[string][]string {
	out := map[string][]string{}
	for k, vals := range v {
		lk := strings.ToLower(k)
		out[lk] = append(out[lk], vals...)
	}
	return out
}

// handler answers one API route.
type handler func(s *Server, c *call) *reply

type route struct {
	method string
	segs   []string
	h      handler
}

func rt(method, pattern string, h handler) route {
	return route{method: method, segs: splitPath(pattern), h: h}
}

// splitPath splits a path into segments, ignoring empty ones (so a trailing
// slash does not matter).
func splitPath(p string) []string {
	var out []string
	for _, s := range strings.Split(p, "/") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// match reports whether segs fit the route, its weight (literal segments
// earlier in the path weigh more) and the path parameters.
func (r route) match(segs []string) (int, map[string]string, bool) {
	if len(segs) != len(r.segs) {
		return 0, nil, false
	}
	weight := 0
	params := map[string]string{}
	for i, pat := range r.segs {
		if strings.HasPrefix(pat, "{") {
			params[strings.Trim(pat, "{}")] = segs[i]
			continue
		}
		if !strings.EqualFold(pat, segs[i]) {
			return 0, nil, false
		}
		weight += 1 << (len(segs) - i)
	}
	return weight, params, true
}

// resolve finds the best route for method and path: the matched route, or
// 404 (no path matches) or 405 (the path matches another method).
func resolve(routes []route, method, path string) (route, map[string]string, int) {
	segs := splitPath(path)
	best, bestW, pathMatched := -1, -1, false
	var bestParams map[string]string
	for i, r := range routes {
		w, params, ok := r.match(segs)
		if !ok {
			continue
		}
		pathMatched = true
		if r.method == method && w > bestW {
			best, bestW, bestParams = i, w, params
		}
	}
	switch {
	case best >= 0:
		return routes[best], bestParams, http.StatusOK
	case pathMatched:
		return route{}, nil, http.StatusMethodNotAllowed
	}
	return route{}, nil, http.StatusNotFound
}

// apiRoutes is every API route under /v2.01/{ClientId}.
var apiRoutes = []route{
	rt("POST", "/users/natural", (*Server).createNaturalUser),
	rt("POST", "/users/legal", (*Server).createLegalUser),
	rt("PUT", "/users/natural/{id}", (*Server).updateNaturalUser),
	rt("PUT", "/users/legal/{id}", (*Server).updateLegalUser),
	rt("GET", "/users/natural/{id}", (*Server).getNaturalUser),
	rt("GET", "/users/legal/{id}", (*Server).getLegalUser),
	rt("DELETE", "/users/natural/{id}", (*Server).closeNaturalUser),
	rt("DELETE", "/users/legal/{id}", (*Server).closeLegalUser),
	rt("GET", "/users/{id}", (*Server).getUser),
	rt("GET", "/users", (*Server).listUsers),

	rt("POST", "/users/{id}/kyc/documents", (*Server).createDocument),
	rt("GET", "/users/{id}/kyc/documents", (*Server).listUserDocuments),
	rt("GET", "/users/{id}/kyc/documents/{doc}", (*Server).getUserDocument),
	rt("PUT", "/users/{id}/kyc/documents/{doc}", (*Server).submitDocument),
	rt("POST", "/users/{id}/kyc/documents/{doc}/pages", (*Server).createPage),
	rt("GET", "/kyc/documents", (*Server).listDocuments),
	rt("GET", "/kyc/documents/{doc}", (*Server).getDocument),

	rt("POST", "/users/{id}/bankaccounts/{type}", (*Server).createBankAccount),
	rt("GET", "/users/{id}/bankaccounts", (*Server).listBankAccounts),
	rt("GET", "/users/{id}/bankaccounts/{bank}", (*Server).getBankAccount),
	rt("PUT", "/users/{id}/bankaccounts/{bank}", (*Server).updateBankAccount),

	rt("POST", "/wallets", (*Server).createWallet),
	rt("GET", "/wallets/{id}", (*Server).getWallet),
	rt("PUT", "/wallets/{id}", (*Server).updateWallet),
	rt("GET", "/users/{id}/wallets", (*Server).listUserWallets),
	rt("GET", "/wallets/{id}/transactions", (*Server).listWalletTransactions),
	rt("GET", "/clients/wallets", (*Server).listClientWallets),
	rt("GET", "/clients/wallets/{funds}/{currency}", (*Server).getClientWallet),

	rt("POST", "/cardregistrations", (*Server).createCardRegistration),
	rt("GET", "/cardregistrations/{id}", (*Server).getCardRegistration),
	rt("PUT", "/cardregistrations/{id}", (*Server).updateCardRegistration),
	rt("GET", "/cards/{id}", (*Server).getCard),
	rt("PUT", "/cards/{id}", (*Server).updateCard),
	rt("GET", "/users/{id}/cards", (*Server).listUserCards),
	rt("GET", "/cards/fingerprints/{fp}", (*Server).listCardsByFingerprint),

	rt("POST", "/payins/card/direct", (*Server).createCardDirectPayIn),
	rt("POST", "/payins/card/web", (*Server).createCardWebPayIn),
	rt("POST", "/payins/bankwire/direct", (*Server).createBankWirePayIn),
	rt("POST", "/payins/preauthorized/direct", (*Server).createPreauthorizedPayIn),
	rt("GET", "/payins/{id}", (*Server).getPayIn),
	rt("POST", "/payins/{id}/refunds", (*Server).createPayInRefund),
	rt("GET", "/payins/{id}/refunds", (*Server).listPayInRefunds),

	rt("POST", "/preauthorizations/card/direct", (*Server).createPreauth),
	rt("GET", "/preauthorizations/{id}", (*Server).getPreauth),
	rt("PUT", "/preauthorizations/{id}", (*Server).updatePreauth),
	rt("GET", "/preauthorizations/{id}/transactions", (*Server).listPreauthTransactions),
	rt("GET", "/users/{id}/preauthorizations", (*Server).listUserPreauths),
	rt("GET", "/cards/{id}/preauthorizations", (*Server).listCardPreauths),

	rt("POST", "/transfers", (*Server).createTransfer),
	rt("GET", "/transfers/{id}", (*Server).getTransfer),
	rt("POST", "/transfers/{id}/refunds", (*Server).createTransferRefund),
	rt("GET", "/transfers/{id}/refunds", (*Server).listTransferRefunds),
	rt("GET", "/refunds/{id}", (*Server).getRefund),

	rt("POST", "/payouts/bankwire", (*Server).createPayout),
	rt("GET", "/payouts/bankwire/{id}", (*Server).getPayoutBankwire),
	rt("GET", "/payouts/{id}", (*Server).getPayout),
	rt("GET", "/payouts/{id}/refunds", (*Server).listPayoutRefunds),

	rt("POST", "/hooks", (*Server).createHook),
	rt("GET", "/hooks", (*Server).listHooks),
	rt("GET", "/hooks/{id}", (*Server).getHook),
	rt("PUT", "/hooks/{id}", (*Server).updateHook),
	rt("GET", "/events", (*Server).listEvents),
	rt("GET", "/responses/{key}", (*Server).getResponse),
}
