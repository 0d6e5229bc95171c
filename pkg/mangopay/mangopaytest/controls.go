package mangopaytest

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// controlRoutes are the test controls under /__fake/ (no auth, not rate
// limited, not recorded). They run without the state lock and use the
// exported methods.
var controlRoutes = []route{
	rt("GET", "/clock", (*Server).ctlClock),
	rt("POST", "/clock/advance", (*Server).ctlAdvance),
	rt("POST", "/payouts/settle-all", (*Server).ctlSettleAllPayouts),
	rt("POST", "/payouts/{id}/settle", (*Server).ctlSettlePayout),
	rt("POST", "/documents/settle-all", (*Server).ctlSettleAllDocuments),
	rt("POST", "/documents/{id}/settle", (*Server).ctlSettleDocument),
	rt("POST", "/faults", (*Server).ctlInjectFault),
	rt("DELETE", "/faults", (*Server).ctlClearFaults),
	rt("POST", "/tokens/expire", (*Server).ctlExpireTokens),
	rt("GET", "/objects/{kind}", (*Server).ctlObjects),
	rt("GET", "/objects/{kind}/{id}", (*Server).ctlObject),
	rt("GET", "/count/{kind}", (*Server).ctlCount),
	rt("POST", "/payins/{id}/bankwire", (*Server).ctlBankWire),
	rt("POST", "/users/{id}/kyc-level", (*Server).ctlKYCLevel),
	rt("POST", "/users/{id}/wallet-sca", (*Server).ctlRequireWalletSCA),
	rt("POST", "/users/{id}/transfer-sca", (*Server).ctlRequireTransferSCA),
	rt("POST", "/3ds/{id}", (*Server).ctlComplete3DS),
	rt("GET", "/hooks/deliveries", (*Server).ctlHookDeliveries),
	rt("GET", "/requests", (*Server).ctlRequests),
}

// serveControl answers /__fake/... requests.
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	rel := r.URL.Path[len("/__fake"):]
	route, params, code := resolve(controlRoutes, r.Method, rel)
	var rep *reply
	switch code {
	case http.StatusOK:
		c := &call{method: r.Method, rel: rel, params: params, query: lowerQuery(r.URL.Query()), body: body}
		rep = route.h(s, c)
	case http.StatusMethodNotAllowed:
		rep = ctlError(code, "method not allowed")
	default:
		rep = ctlError(code, "unknown control "+r.URL.Path)
	}
	writeReply(w, rep)
}

func ctlError(status int, msg string) *reply {
	return jsonReply(status, map[string]string{"error": msg})
}

func ctlResult(err error, v any) *reply {
	if err != nil {
		return ctlError(http.StatusBadRequest, err.Error())
	}
	return jsonReply(http.StatusOK, v)
}

func (s *Server) ctlClock(*call) *reply {
	now := s.Now()
	return jsonReply(http.StatusOK, map[string]any{"now": now.Unix(), "time": now.Format(time.RFC3339)})
}

func (s *Server) ctlAdvance(c *call) *reply {
	v, _ := c.q1("seconds")
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return ctlError(http.StatusBadRequest, "seconds must be a non-negative integer")
	}
	s.Advance(time.Duration(n) * time.Second)
	return s.ctlClock(c)
}

// settleStatus reads ?status=SUCCEEDED|FAILED (default SUCCEEDED).
func settleStatus(c *call) (bool, bool) {
	v, _ := c.q1("status")
	switch strings.ToUpper(v) {
	case "", "SUCCEEDED":
		return true, true
	case "FAILED":
		return false, true
	}
	return false, false
}

func (s *Server) ctlSettlePayout(c *call) *reply {
	ok, valid := settleStatus(c)
	if !valid {
		return ctlError(http.StatusBadRequest, "status must be SUCCEEDED or FAILED")
	}
	code, _ := c.q1("resultCode")
	err := s.SettlePayout(c.param("id"), ok, code)
	return s.ctlObjectResult(err, "payouts", c.param("id"))
}

func (s *Server) ctlSettleAllPayouts(c *call) *reply {
	ok, valid := settleStatus(c)
	if !valid {
		return ctlError(http.StatusBadRequest, "status must be SUCCEEDED or FAILED")
	}
	return jsonReply(http.StatusOK, map[string]int{"settled": s.SettleAllPayouts(ok)})
}

func (s *Server) ctlSettleDocument(c *call) *reply {
	return s.ctlObjectResult(s.SettleDocument(c.param("id")), "documents", c.param("id"))
}

func (s *Server) ctlSettleAllDocuments(*call) *reply {
	return jsonReply(http.StatusOK, map[string]int{"settled": s.SettleAllDocuments()})
}

// ctlObjectResult answers the object's JSON after a successful control.
func (s *Server) ctlObjectResult(err error, kind, id string) *reply {
	if err != nil {
		return ctlError(http.StatusBadRequest, err.Error())
	}
	obj, _ := s.Object(kind, id)
	return &reply{status: http.StatusOK, body: obj}
}

// faultJSON is the control form of Fault (Latency in milliseconds).
type faultJSON struct {
	Method          string `json:"method"`
	Path            string `json:"path"`
	Status          int    `json:"status"`
	DropAfterCommit bool   `json:"DropAfterCommit"`
	DropSnake       bool   `json:"drop_after_commit"`
	LatencyMS       int64  `json:"latency_ms"`
	Times           int    `json:"times"`
}

func (s *Server) ctlInjectFault(c *call) *reply {
	var f faultJSON
	if err := json.Unmarshal(c.body, &f); err != nil {
		return ctlError(http.StatusBadRequest, "invalid fault JSON: "+err.Error())
	}
	s.InjectFault(Fault{Method: f.Method, Path: f.Path, Status: f.Status, DropAfterCommit: f.DropAfterCommit || f.DropSnake,
		Latency: time.Duration(f.LatencyMS) * time.Millisecond, Times: f.Times})
	return jsonReply(http.StatusOK, f)
}

func (s *Server) ctlClearFaults(*call) *reply {
	s.ClearFaults()
	return &reply{status: http.StatusNoContent}
}

func (s *Server) ctlExpireTokens(*call) *reply {
	s.ExpireTokens()
	return &reply{status: http.StatusNoContent}
}

func (s *Server) ctlObjects(c *call) *reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	list, ok := s.st.kindTable(c.param("kind"))
	if !ok {
		return ctlError(http.StatusNotFound, errUnknownKind.Error()+" "+c.param("kind"))
	}
	views := make([]any, len(list))
	for i, r := range list {
		views[i] = r.view()
	}
	return jsonReply(http.StatusOK, views)
}

func (s *Server) ctlObject(c *call) *reply {
	obj, ok := s.Object(c.param("kind"), c.param("id"))
	if !ok {
		return ctlError(http.StatusNotFound, "no "+c.param("kind")+" with id "+c.param("id"))
	}
	return &reply{status: http.StatusOK, body: obj}
}

func (s *Server) ctlCount(c *call) *reply {
	return jsonReply(http.StatusOK, map[string]any{"kind": c.param("kind"), "count": s.Count(c.param("kind"))})
}

func (s *Server) ctlBankWire(c *call) *reply {
	v, _ := c.q1("amount")
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return ctlError(http.StatusBadRequest, "amount must be an integer (minor units)")
	}
	return s.ctlObjectResult(s.ReceiveBankWire(c.param("id"), n), "payins", c.param("id"))
}

func (s *Server) ctlKYCLevel(c *call) *reply {
	level, _ := c.q1("level")
	return s.ctlObjectResult(s.SetKYCLevel(c.param("id"), strings.ToUpper(level)), "users", c.param("id"))
}

func (s *Server) ctlComplete3DS(c *call) *reply {
	result, _ := c.q1("result")
	return ctlResult(s.Complete3DS(c.param("id"), result != "failure"), map[string]string{"id": c.param("id")})
}

func (s *Server) ctlHookDeliveries(*call) *reply {
	s.WaitHooks()
	return jsonReply(http.StatusOK, s.HookDeliveries())
}

func (s *Server) ctlRequests(*call) *reply {
	return jsonReply(http.StatusOK, s.Requests())
}
