package mangopaytest

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Count returns how many objects of a kind exist: "users", "documents",
// "pages", "bankaccounts", "wallets", "cardregistrations", "cards",
// "payins", "preauthorizations", "refunds", "transfers", "payouts", "hooks",
// "events". An unknown kind counts 0.
func (s *Server) Count(kind string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if kind == "pages" {
		return s.st.pages
	}
	list, _ := s.st.kindTable(kind)
	return len(list)
}

// Object returns the current JSON of an object as GET would return it (for
// payouts, the /payouts/bankwire/{id} shape).
func (s *Server) Object(kind, id string) (json.RawMessage, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	list, _ := s.st.kindTable(kind)
	for _, r := range list {
		if r.key() == id {
			return json.RawMessage(marshal(r.view())), true
		}
	}
	return nil, false
}

func errNotFound(what, id string) error {
	return fmt.Errorf("mangopaytest: no %s with id %q", what, id)
}

func errBadState(what, id, state string) error {
	return fmt.Errorf("mangopaytest: %s %q cannot be settled (%s)", what, id, state)
}

func errBadValue(what string, v any) error {
	return fmt.Errorf("mangopaytest: invalid %s %v", what, v)
}

var errUnknownKind = errors.New("mangopaytest: unknown kind")

// Secrets returns what must never show in a log or an answer: the API key,
// every bearer token the fake's callers have used so far and every SCA
// token it issued, of wallets and transfers (the redirect URL is the user's
// to open).
func (s *Server) Secrets() []string {
	s.mu.Lock()
	out := append([]string{s.APIKey}, s.st.scaTokensIssued()...)
	s.mu.Unlock()
	seen := map[string]bool{}
	for _, req := range s.Requests() {
		scheme, tok, ok := strings.Cut(req.Header.Get("Authorization"), " ")
		if ok && strings.EqualFold(scheme, "bearer") && !seen[tok] {
			seen[tok] = true
			out = append(out, tok)
		}
	}
	return out
}
