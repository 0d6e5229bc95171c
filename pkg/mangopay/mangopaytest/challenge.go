package mangopaytest

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
)

// challengePage is the small HTML form of the fake 3DS and web payment
// pages.
const challengePage = `<!doctype html>
<html><head><meta charset="utf-8"><title>%s</title></head>
<body><h1>%s</h1><p>Transaction %s</p>
<form method="post"><button name="result" value="success">Succeed</button>
<button name="result" value="failure">Fail</button></form></body></html>
`

// serveChallenge is GET/POST /__3ds/{id} (card pay-ins, preauthorizations)
// and /__web/{id} (web pay-ins). Without a result it shows the form; with
// result=success|failure (query or form) it completes the payment and
// redirects (302) to the return URL.
func (s *Server) serveChallenge(r *http.Request, t target, body []byte) *reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	result := r.URL.Query().Get("result")
	if r.Method == http.MethodPost {
		if form, err := url.ParseQuery(string(body)); err == nil && form.Get("result") != "" {
			result = form.Get("result")
		}
	}
	back, waiting, ok := s.challengeTarget(t)
	if !ok {
		return &reply{status: http.StatusNotFound, body: []byte("unknown transaction\n"), ctype: "text/plain; charset=utf-8"}
	}
	if result == "" {
		title := "Fake 3-D Secure"
		if t.kind == kindWeb {
			title = "Fake card payment page"
		}
		page := fmt.Sprintf(challengePage, title, title, html.EscapeString(t.id))
		return &reply{status: http.StatusOK, body: []byte(page), ctype: "text/html; charset=utf-8"}
	}
	if result != "success" && result != "failure" {
		return &reply{status: http.StatusBadRequest, body: []byte("result must be success or failure\n"), ctype: "text/plain; charset=utf-8"}
	}
	if waiting {
		s.completeChallenge(t, result == "success")
	}
	return &reply{status: http.StatusFound, header: http.Header{"Location": {back}}}
}

// challengeTarget finds the transaction of a page: its return URL and
// whether it is still waiting.
func (s *Server) challengeTarget(t target) (string, bool, bool) {
	if p, ok := s.st.payins.get(t.id); ok && (p.card != nil && t.kind == kind3DS || p.web != nil && t.kind == kindWeb) {
		return p.redirectTo, p.waiting, true
	}
	if pa, ok := s.st.preauths.get(t.id); ok && t.kind == kind3DS {
		return pa.SecureModeReturnURL, pa.waiting, true
	}
	return "", false, false
}

func (s *Server) completeChallenge(t target, ok bool) {
	if p, found := s.st.payins.get(t.id); found {
		if p.web != nil {
			s.completeWeb(p, ok)
		} else {
			s.complete3DSPayIn(p, ok)
		}
		return
	}
	if pa, found := s.st.preauths.get(t.id); found {
		s.complete3DSPreauth(pa, ok)
	}
}

// complete3DSPayIn settles a card direct pay-in after 3DS.
func (s *Server) complete3DSPayIn(p *payin, ok bool) {
	p.waiting = false
	cd, _ := s.st.cards.get(p.card.CardId)
	if !ok {
		s.txFail(p, "101301", s.st.unix())
		if cd != nil {
			cd.markValidity(false)
		}
		return
	}
	s.succeedPayIn(p, s.st.unix())
	if cd != nil {
		cd.markValidity(true)
	}
}

// Complete3DS completes the 3DS step of a card direct pay-in or a
// preauthorization (or the payment page of a web pay-in), as if the user
// went through the page.
func (s *Server) Complete3DS(id string, succeed bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range []string{kind3DS, kindWeb} {
		t := target{kind: k, id: id}
		if _, waiting, ok := s.challengeTarget(t); ok {
			if !waiting {
				return errBadState("transaction", id, "not waiting for 3DS")
			}
			s.completeChallenge(t, succeed)
			return nil
		}
	}
	return errNotFound("pay-in or preauthorization", id)
}
