package mangopaytest

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxBody bounds what the fake reads of a request body (a KYC page is at most
// about 10 MB of base64).
const maxBody = 16 << 20

// request kinds, by path.
const (
	kindAPI   = "api"
	kindToken = "token"
	kindPCI   = "pci"
	kind3DS   = "3ds"
	kindWeb   = "web"
	kindSCA   = "sca"
	kindOther = "other"
)

// target is where a request goes, worked out from its path.
type target struct {
	kind     string
	clientID string
	rel      string // path after /v2.01/{ClientId} (API) or the whole path
	id       string // object id for the PCI, 3DS and web pages
}

func classify(path string) target {
	segs := splitPath(path)
	if len(segs) >= 1 && strings.EqualFold(segs[0], "v2.01") {
		if len(segs) == 3 && strings.EqualFold(segs[1], "oauth") && strings.EqualFold(segs[2], "token") {
			return target{kind: kindToken, rel: "/oauth/token"}
		}
		if len(segs) >= 2 {
			return target{kind: kindAPI, clientID: segs[1], rel: "/" + strings.Join(segs[2:], "/")}
		}
	}
	if len(segs) == 3 && segs[0] == "__pci" && segs[1] == "tokenize" {
		return target{kind: kindPCI, rel: path, id: segs[2]}
	}
	if len(segs) == 2 && (segs[0] == "__3ds" || segs[0] == "__web") {
		k := kind3DS
		if segs[0] == "__web" {
			k = kindWeb
		}
		return target{kind: k, rel: path, id: segs[1]}
	}
	if len(segs) == 1 && segs[0] == "sca" {
		return target{kind: kindSCA, rel: path}
	}
	return target{kind: kindOther, rel: path}
}

// isAPI says whether the kind is answered by the API host (rate limits,
// latency, rate-limit headers).
func (t target) isAPI() bool {
	return t.kind == kindAPI || t.kind == kindToken || t.kind == kindOther
}

// ServeHTTP implements http.Handler: the API, the token endpoint, the fake
// PCI vault, the 3DS and web payment pages and the /__fake/ controls.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if lp := strings.ToLower(r.URL.Path); strings.HasPrefix(lp, "/__fake/") {
		s.serveControl(w, r)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return
	}
	t := classify(r.URL.Path)
	idx := s.recordRequest(r, t)
	f := s.takeFault(r.Method, t.rel)
	delay := f.Latency
	if t.isAPI() {
		delay += s.cfg.latency
	}
	if !sleepCtx(r, delay) {
		return
	}
	var rep *reply
	if f.Status != 0 {
		rep = s.faultReply(f.Status, t)
	} else {
		rep = s.dispatch(r, t, body)
	}
	if f.DropAfterCommit {
		s.setRequestStatus(idx, 0)
		dropConnection(w)
		return
	}
	s.setRequestStatus(idx, rep.status)
	writeReply(w, rep)
}

func (s *Server) dispatch(r *http.Request, t target, body []byte) *reply {
	if len(body) > maxBody {
		tooBig := func() *reply {
			return s.st.apiError(http.StatusRequestEntityTooLarge, "param_error", "Request body too large", nil)
		}
		if t.isAPI() {
			return s.withRateLimit(tooBig)
		}
		return s.locked(tooBig)
	}
	switch t.kind {
	case kindToken:
		return s.serveToken(r, body)
	case kindAPI:
		return s.serveAPI(r, t, body)
	case kindPCI:
		return s.servePCI(r, t.id, body)
	case kind3DS, kindWeb:
		return s.serveChallenge(r, t, body)
	case kindSCA:
		return s.serveSCA(r)
	}
	return s.withRateLimit(func() *reply {
		return s.st.apiError(http.StatusNotFound, "ressource_not_found", msgNotFound,
			map[string]string{"RessourceNotFound": "No resource matches the request URI " + r.URL.Path})
	})
}

// locked runs f with the state lock held.
func (s *Server) locked(f func() *reply) *reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	return f()
}

// serveAPI authenticates, routes and runs one API call.
func (s *Server) serveAPI(r *http.Request, t target, body []byte) *reply {
	return s.withRateLimit(func() *reply {
		st := s.st
		if !s.validBearer(r.Header.Get("Authorization")) {
			return st.invalidCredentials()
		}
		if t.clientID != s.ClientID {
			return st.apiError(http.StatusForbidden, "forbidden_ressource", msgForbidden, nil)
		}
		rt, params, code := resolve(apiRoutes, r.Method, t.rel)
		switch code {
		case http.StatusNotFound:
			return st.apiError(http.StatusNotFound, "ressource_not_found", msgNotFound,
				map[string]string{"RessourceNotFound": "No resource matches the request URI " + r.URL.Path})
		case http.StatusMethodNotAllowed:
			rep := st.apiError(http.StatusMethodNotAllowed, "other",
				"The requested resource does not support http method '"+r.Method+"'.", nil)
			return rep
		}
		c := &call{
			method: r.Method, rel: t.rel, params: params, query: lowerQuery(r.URL.Query()), body: body,
			idemKey: strings.TrimSpace(r.Header.Get("Idempotency-Key")), fullURL: s.URL + r.URL.RequestURI(),
		}
		if r.Method == http.MethodPost && c.idemKey != "" {
			return s.idempotent(c, rt.h)
		}
		return rt.h(s, c)
	})
}

func writeReply(w http.ResponseWriter, rep *reply) {
	h := w.Header()
	for k, v := range rep.header {
		h[k] = v
	}
	if rep.body != nil {
		ct := rep.ctype
		if ct == "" {
			ct = "application/json; charset=utf-8"
		}
		h.Set("Content-Type", ct)
		h.Set("Content-Length", strconv.Itoa(len(rep.body)))
	}
	w.WriteHeader(rep.status)
	if rep.body != nil {
		_, _ = w.Write(rep.body)
	}
}

// dropConnection closes the client connection without writing a response.
func dropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

// sleepCtx waits d unless the client goes away; it reports whether to go on.
func sleepCtx(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}
