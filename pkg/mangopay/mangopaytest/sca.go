package mangopaytest

import (
	"net"
	"net/http"
	"strconv"
)

// SCA on wallet access (reference §7). Since 2025-12-15 Mangopay applies
// strong customer authentication when an OWNER user's wallets are read:
// GET /wallets/{id}, GET /users/{id}/wallets and
// GET /wallets/{id}/transactions take a ScaContext query, USER_PRESENT (the
// default) or USER_NOT_PRESENT, and may answer 401 with no body and
// "WWW-Authenticate: PendingUserAction redirectUrl=<url>". The fake does so
// for the OWNER users marked with RequireWalletSCA, until the user visits
// the redirect URL.
//
// Assumption (the documentation does not say it in so many words): a read
// with ScaContext=USER_NOT_PRESENT, a platform's backend reading without the
// user, is allowed without SCA; only USER_PRESENT (or no ScaContext) asks
// for it. The fake follows that reading.

// ScaContext values Mangopay accepts on wallet reads.
const (
	scaUserPresent    = "USER_PRESENT"
	scaUserNotPresent = "USER_NOT_PRESENT"
)

// scaPath is the fake's SCA page, on the fake's own loopback host.
const scaPath = "/sca"

// RequireWalletSCA marks an OWNER user as needing SCA for wallet access: from
// now on, reading its wallets, or their transactions, with ScaContext
// USER_PRESENT or none answers 401 with a PendingUserAction challenge whose
// redirect URL (on 127.0.0.1) completes SCA when visited. Marking a user
// again while SCA is pending keeps the same URL; after completion it asks
// for SCA again with a new one. It fails for an unknown user or a PAYER
// (Mangopay does not apply SCA to PAYER wallet reads).
func (s *Server) RequireWalletSCA(userID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.st.checkSCAUser(userID, "wallet"); err != nil {
		return err
	}
	if _, pending := s.st.scaPending[userID]; pending {
		return nil
	}
	tok := randHex(16)
	s.st.scaPending[userID] = tok
	s.st.scaTokens[tok] = userID
	return nil
}

// WalletSCAPending reports whether userID still has to complete SCA before
// its wallets can be read with the user present.
func (s *Server) WalletSCAPending(userID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.st.scaPending[userID]
	return ok
}

// scaTokensIssued is every SCA token the fake handed out (for Secrets).
func (st *state) scaTokensIssued() []string {
	out := make([]string, 0, len(st.scaTokens)+len(st.transferTokens))
	for tok := range st.scaTokens {
		out = append(out, tok)
	}
	for tok := range st.transferTokens {
		out = append(out, tok)
	}
	return out
}

// scaContext validates the ScaContext query of a wallet read: the value (""
// when absent) or a 400 param_error naming ScaContext.
func (s *Server) scaContext(c *call) (string, *reply) {
	v, present := c.q1("ScaContext")
	if !present {
		return "", nil
	}
	if v != scaUserPresent && v != scaUserNotPresent {
		return "", s.st.paramError1("ScaContext", "The value '"+v+"' is not valid for ScaContext: use USER_PRESENT or USER_NOT_PRESENT")
	}
	return v, nil
}

// walletSCA answers the 401 PendingUserAction challenge when reading the
// wallets of ownerID needs SCA in this ScaContext, or nil.
func (s *Server) walletSCA(ownerID, scaContext string) *reply {
	if scaContext == scaUserNotPresent {
		return nil // the assumption above: a backend read needs no SCA
	}
	tok, pending := s.st.scaPending[ownerID]
	if !pending {
		return nil
	}
	if u, ok := s.st.users.get(ownerID); !ok || !u.isOwner() {
		return nil // a user turned PAYER since: no SCA on its wallets
	}
	url := s.loopbackURL() + scaPath + "?token=" + tok
	return &reply{status: http.StatusUnauthorized,
		header: http.Header{"Www-Authenticate": {"PendingUserAction redirectUrl=" + url}}}
}

// loopbackURL is the fake's base URL on 127.0.0.1, whatever address it
// listens on, so that no URL it hands out points anywhere else.
func (s *Server) loopbackURL() string {
	if a, ok := s.ln.Addr().(*net.TCPAddr); ok {
		return "http://127.0.0.1:" + strconv.Itoa(a.Port)
	}
	return s.URL
}

// serveSCA is GET /sca?token=...: the user's SCA page. A known token
// completes SCA for its user's wallet access, or for its transfer
// (sca_transfers.go) (200, a short page); an unknown, used or expired one is
// 404.
func (s *Server) serveSCA(r *http.Request) *reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Method != http.MethodGet {
		return &reply{status: http.StatusMethodNotAllowed, body: []byte("use GET\n"), ctype: "text/plain; charset=utf-8"}
	}
	tok := r.URL.Query().Get("token")
	if transferID, ok := s.st.transferTokens[tok]; ok && tok != "" {
		return s.completeTransferSCA(transferID)
	}
	userID, ok := s.st.scaTokens[tok]
	if !ok || tok == "" || s.st.scaPending[userID] != tok {
		return scaUnknownToken()
	}
	delete(s.st.scaPending, userID)
	return scaCompletedPage()
}

// scaCompletedPage is the SCA page's answer once SCA is completed.
func scaCompletedPage() *reply {
	page := "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Fake SCA</title></head>" +
		"<body><h1>Strong customer authentication completed</h1></body></html>\n"
	return &reply{status: http.StatusOK, body: []byte(page), ctype: "text/html; charset=utf-8"}
}

// scaUnknownToken is the SCA page's answer to an unknown, used or expired
// token.
func scaUnknownToken() *reply {
	return &reply{status: http.StatusNotFound, body: []byte("unknown or used SCA token\n"), ctype: "text/plain; charset=utf-8"}
}

// ctlRequireWalletSCA is POST /__fake/users/{id}/wallet-sca: RequireWalletSCA.
func (s *Server) ctlRequireWalletSCA(c *call) *reply {
	return ctlResult(s.RequireWalletSCA(c.param("id")), map[string]any{"user": c.param("id"), "wallet_sca_pending": true})
}

// checkSCAUser checks that userID is an OWNER user, the only kind SCA
// applies to (what: "wallet" or "transfer", for the error). st.mu held.
func (st *state) checkSCAUser(userID, what string) error {
	u, ok := st.users.get(userID)
	if !ok {
		return errNotFound("user", userID)
	}
	if !u.isOwner() {
		return errBadValue("user category for "+what+" SCA (only OWNER users need it)", u.UserCategory)
	}
	return nil
}
