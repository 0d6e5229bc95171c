package mangopaytest

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// idemTTL is how long an Idempotency-Key is remembered (fake clock).
const idemTTL = 24 * 60 * 60

// idemEntry is what GET /responses/{key} returns, plus when it was stored.
type idemEntry struct {
	at            int64
	StatusCode    string          `json:"StatusCode"`
	ContentLength string          `json:"ContentLength"`
	ContentType   *string         `json:"ContentType"`
	Date          string          `json:"Date"`
	RequestURL    string          `json:"RequestURL"`
	Resource      json.RawMessage `json:"Resource"`
}

// idempotent runs a keyed POST: a bad key is 400, a key seen in the last 24 h
// is 409 (nothing processed), otherwise the handler runs and its answer is
// stored whatever its status.
func (s *Server) idempotent(c *call, h handler) *reply {
	st := s.st
	if !reIdemKey.MatchString(c.idemKey) {
		return st.paramError1("IdempotencyKey",
			"The Idempotency-Key header must be 16 to 36 characters long and contain only letters, digits and '-'.")
	}
	if _, ok := st.lookupIdem(c.idemKey); ok {
		return st.apiError(http.StatusConflict, "idempotent_creation_conflict", msgIdemConfl, nil)
	}
	rep := h(s, c)
	e := &idemEntry{
		at:            st.unix(),
		StatusCode:    strconv.Itoa(rep.status),
		ContentLength: strconv.Itoa(len(rep.body)),
		Date:          st.now.Format(http.TimeFormat),
		RequestURL:    c.fullURL,
		Resource:      json.RawMessage("null"),
	}
	if rep.body != nil {
		e.ContentType = ptr("application/json; charset=utf-8")
		e.Resource = json.RawMessage(rep.body)
	}
	st.idem[c.idemKey] = e
	return rep
}

// lookupIdem finds a live entry, forgetting expired ones.
func (st *state) lookupIdem(key string) (*idemEntry, bool) {
	e, ok := st.idem[key]
	if ok && st.unix() >= e.at+idemTTL {
		delete(st.idem, key)
		return nil, false
	}
	return e, ok
}

// getResponse is GET /responses/{key}.
func (s *Server) getResponse(c *call) *reply {
	e, ok := s.st.lookupIdem(c.param("key"))
	if !ok {
		return s.st.badRequest("correlationid_not_found", "No response was found for this Idempotency Key")
	}
	return jsonReply(http.StatusOK, e)
}
