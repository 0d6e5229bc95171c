package mangopaytest

import (
	"crypto/subtle"
	"encoding/base64"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// serveToken is POST /v2.01/oauth/token: Basic client credentials and the
// form body grant_type=client_credentials.
func (s *Server) serveToken(r *http.Request, body []byte) *reply {
	return s.withRateLimit(func() *reply {
		st := s.st
		if r.Method != http.MethodPost {
			return st.apiError(http.StatusMethodNotAllowed, "other",
				"The requested resource does not support http method '"+r.Method+"'.", nil)
		}
		if !s.validBasic(r.Header.Get("Authorization")) {
			return jsonReply(http.StatusUnauthorized, oauthError{"invalid_client",
				"The authorization header was malformed or not recognized"})
		}
		if grantType(r, body) != "client_credentials" {
			return jsonReply(http.StatusBadRequest, oauthError{Error: "unsupported_grant_type"})
		}
		tok := randHex(16)
		st.tokens[tok] = st.unix() + int64(s.cfg.tokenLifetime.Seconds())
		return jsonReply(http.StatusOK, struct {
			AccessToken string `json:"access_token"`
			TokenType   string `json:"token_type"`
			ExpiresIn   int64  `json:"expires_in"`
		}{tok, "bearer", int64(s.cfg.tokenLifetime.Seconds())})
	})
}

// grantType reads grant_type from a form-encoded body.
func grantType(r *http.Request, body []byte) string {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/x-www-form-urlencoded" {
			return ""
		}
	}
	v, err := url.ParseQuery(string(body))
	if err != nil {
		return ""
	}
	return v.Get("grant_type")
}

// validBasic checks "Basic base64(ClientId:ApiKey)".
func (s *Server) validBasic(h string) bool {
	scheme, cred, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "basic") {
		return false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
	if err != nil {
		return false
	}
	id, key, ok := strings.Cut(string(raw), ":")
	return ok && subtle.ConstantTimeCompare([]byte(id), []byte(s.ClientID)) == 1 &&
		subtle.ConstantTimeCompare([]byte(key), []byte(s.APIKey)) == 1
}

// validBearer checks "Bearer <token>" ("bearer" in any case) against the
// issued tokens and the fake clock. Called with s.mu held.
func (s *Server) validBearer(h string) bool {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return false
	}
	exp, ok := s.st.tokens[strings.TrimSpace(tok)]
	return ok && s.st.unix() < exp
}

// ExpireTokens invalidates every token issued so far: the next API call with
// one of them gets 401 invalid_credentials.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.tokens = map[string]int64{}
}
