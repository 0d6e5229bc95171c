package local

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// route is one HTTP API route of a function.
type route struct {
	fn, method, path string
	re               *regexp.Regexp
	params           []string
}

var pathParam = regexp.MustCompile(`\{([A-Za-z0-9_]+)\+?\}`)

// compileRoutes turns every function's HttpApi events into matchers.
func (s *Stack) compileRoutes() error {
	seen := map[string]string{}
	for _, f := range s.Functions {
		for _, r := range f.Routes {
			key := r.String()
			if other, dup := seen[key]; dup {
				return fmt.Errorf("route %s is declared by %s and %s", key, other, f.Name)
			}
			seen[key] = f.Name
			rt := route{fn: f.Name, method: r.Method, path: r.Path}
			pattern := "^"
			last := 0
			for _, m := range pathParam.FindAllStringSubmatchIndex(r.Path, -1) {
				pattern += regexp.QuoteMeta(r.Path[last:m[0]])
				if strings.HasSuffix(r.Path[m[0]:m[1]], "+}") {
					pattern += "(.+)"
				} else {
					pattern += "([^/]+)"
				}
				rt.params = append(rt.params, r.Path[m[2]:m[3]])
				last = m[1]
			}
			rt.re = regexp.MustCompile(pattern + regexp.QuoteMeta(r.Path[last:]) + "$")
			s.routes = append(s.routes, rt)
		}
	}
	// Literal segments win over parameters, as in API Gateway.
	sort.Slice(s.routes, func(i, j int) bool {
		if a, b := len(s.routes[i].params), len(s.routes[j].params); a != b {
			return a < b
		}
		return s.routes[i].path < s.routes[j].path
	})
	return nil
}

// ServeHTTP is the local HTTP API: the template's routes, and the local
// controls under /__local/.
func (s *Stack) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/__local/") {
		s.serveControl(w, r)
		return
	}
	var match *route
	var values []string
	for i := range s.routes {
		rt := &s.routes[i]
		if rt.method != r.Method && rt.method != "ANY" {
			continue
		}
		if m := rt.re.FindStringSubmatch(r.URL.EscapedPath()); m != nil {
			match, values = rt, m[1:]
			break
		}
	}
	if match == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 10<<20+1))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "Bad Request"})
		return
	}
	if len(body) > 10<<20 {
		writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"message": "Request Entity Too Large"})
		return
	}
	req := apiRequest(r, match, values, body)
	payload, _ := json.Marshal(req)
	res, err := s.Invoke(r.Context(), match.fn, req.RouteKey, payload)
	if err != nil || res.Err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "Internal Server Error"})
		return
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(res.Payload, &resp); err != nil || resp.StatusCode == 0 {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "Internal Server Error"})
		return
	}
	writeAPIResponse(w, resp, req.RequestContext.RequestID)
}

// apiRequest is the payload 2.0 event API Gateway builds for a request.
func apiRequest(r *http.Request, rt *route, values []string, body []byte) events.APIGatewayV2HTTPRequest {
	now := time.Now().UTC()
	req := events.APIGatewayV2HTTPRequest{Version: "2.0", RouteKey: rt.method + " " + rt.path, RawPath: r.URL.EscapedPath(),
		RawQueryString: r.URL.RawQuery, Headers: map[string]string{}}
	for k, vs := range r.Header {
		k = strings.ToLower(k)
		if k == "cookie" {
			for _, v := range vs {
				for _, c := range strings.Split(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						req.Cookies = append(req.Cookies, c)
					}
				}
			}
			continue
		}
		req.Headers[k] = strings.Join(vs, ",")
	}
	req.Headers["host"] = r.Host
	req.Headers["x-forwarded-proto"] = "http"
	if q := r.URL.Query(); len(q) > 0 {
		req.QueryStringParameters = map[string]string{}
		for k, vs := range q {
			req.QueryStringParameters[k] = strings.Join(vs, ",")
		}
	}
	if len(rt.params) > 0 {
		req.PathParameters = map[string]string{}
		for i, p := range rt.params {
			v, err := url.PathUnescape(values[i])
			if err != nil {
				v = values[i]
			}
			req.PathParameters[p] = v
		}
	}
	if len(body) > 0 {
		if utf8.Valid(body) && textual(r.Header.Get("Content-Type")) {
			req.Body = string(body)
		} else {
			req.Body, req.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
	}
	ip, _, _ := net.SplitHostPort(r.RemoteAddr)
	rc := &req.RequestContext
	rc.AccountID, rc.APIID, rc.Stage, rc.RouteKey = AccountID, apiSentinel, "$default", req.RouteKey
	rc.DomainName, rc.DomainPrefix = r.Host, apiSentinel
	rc.RequestID = requestID()
	rc.Time, rc.TimeEpoch = now.Format("02/Jan/2006:15:04:05 -0700"), now.UnixMilli()
	rc.HTTP = events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: r.Method, Path: r.URL.Path, Protocol: r.Proto,
		SourceIP: ip, UserAgent: r.UserAgent()}
	// The IAM identity of a local caller (AuthMode IAM: every route but the
	// hook route is signed by a caller of the account).
	if rt.fn != "receive-hook" {
		rc.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{IAM: &events.APIGatewayV2HTTPRequestContextAuthorizerIAMDescription{
			AccessKey: "LOCALACCESSKEY", AccountID: AccountID, CallerID: "AIDALOCALCALLER", UserARN: "arn:aws:iam::" + AccountID + ":user/local",
			UserID: "AIDALOCALCALLER"}}
	}
	return req
}

// textual says whether API Gateway passes a body of this type as text.
func textual(ct string) bool {
	ct = strings.ToLower(ct)
	return ct == "" || strings.HasPrefix(ct, "text/") || strings.Contains(ct, "json") || strings.Contains(ct, "xml") ||
		strings.Contains(ct, "x-www-form-urlencoded") || strings.Contains(ct, "javascript")
}

func requestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b) + "="
}

// writeAPIResponse writes a function's payload 2.0 answer.
func writeAPIResponse(w http.ResponseWriter, resp events.APIGatewayV2HTTPResponse, reqID string) {
	h := w.Header()
	for k, v := range resp.Headers {
		h.Set(k, v)
	}
	for k, vs := range resp.MultiValueHeaders {
		h.Del(k)
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	for _, c := range resp.Cookies {
		h.Add("Set-Cookie", c)
	}
	h.Set("Apigw-Requestid", reqID)
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(resp.Body)
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "Internal Server Error"})
			return
		}
		body = b
	}
	if h.Get("Content-Type") == "" && len(body) > 0 {
		h.Set("Content-Type", "application/json")
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// serveControl answers the local controls:
//
//	POST /__local/schedules/{function}[/{event}]
//	                                    run a function's schedule now (a JSON
//	                                    body is merged over its Input)
//	GET  /__local/outcomes              the events received on the local bus
//	GET  /__local/                      what runs where
func (s *Stack) serveControl(w http.ResponseWriter, r *http.Request) {
	rel := strings.TrimPrefix(r.URL.Path, "/__local")
	switch {
	case r.Method == http.MethodPost && strings.HasPrefix(rel, "/schedules/"):
		name := strings.TrimPrefix(rel, "/schedules/")
		var extra map[string]any
		if b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20)); len(strings.TrimSpace(string(b))) > 0 {
			if err := json.Unmarshal(b, &extra); err != nil {
				writeJSON(w, http.StatusBadRequest, map[string]string{"message": "the body must be a JSON object: " + err.Error()})
				return
			}
		}
		out, err := s.RunSchedule(r.Context(), name, extra)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"message": err.Error()})
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(out)
	case r.Method == http.MethodGet && rel == "/outcomes":
		writeJSON(w, http.StatusOK, s.Outcomes())
	case r.Method == http.MethodGet && rel == "/":
		writeJSON(w, http.StatusOK, s.Info())
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
	}
}

// Info says what runs where (also build/local/stack.json).
type Info struct {
	APIURL      string            `json:"api_url"`
	MotoURL     string            `json:"moto_url"`
	MangopayURL string            `json:"mangopay_url"`
	Fake        bool              `json:"fake"`
	Table       string            `json:"table"`
	Bucket      string            `json:"bucket"`
	Secret      string            `json:"secret_arn"`
	Bus         string            `json:"event_bus"`
	Outcomes    string            `json:"outcomes_queue_url"`
	Queues      map[string]string `json:"queues"`
	Routes      []string          `json:"routes"`
}

// Info describes the running stack.
func (s *Stack) Info() Info {
	i := Info{APIURL: s.APIURL, MotoURL: s.MotoURL, MangopayURL: s.MangopayURL, Fake: s.Fake != nil, Table: s.TableName,
		Bucket: s.BucketName, Secret: s.SecretARN, Bus: BusName, Outcomes: s.OutcomesURL, Queues: s.QueueURLs}
	for _, r := range s.routes {
		i.Routes = append(i.Routes, r.method+" "+r.path+" → "+r.fn)
	}
	sort.Strings(i.Routes)
	return i
}

// RunSchedule invokes a function with a schedule's Input, with extra's
// keys set over it (e.g. {"force": true}), and returns the function's
// answer. ref is "function" for a function with one schedule, or
// "function/Event" naming the schedule's event in template.yaml.
func (s *Stack) RunSchedule(ctx context.Context, ref string, extra map[string]any) ([]byte, error) {
	name, event, _ := strings.Cut(ref, "/")
	f, ok := s.Functions[name]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrUnknownFunction, name)
	}
	sch, err := f.schedule(event)
	if err != nil {
		return nil, err
	}
	input := []byte(sch.Input)
	if len(extra) > 0 {
		m := map[string]any{}
		if err := json.Unmarshal(input, &m); err != nil {
			return nil, fmt.Errorf("%s's schedule %s: its Input is not a JSON object", name, sch.Name)
		}
		for k, v := range extra {
			m[k] = v
		}
		input, _ = json.Marshal(m)
	}
	res, err := s.invoke(ctx, name, "schedule "+sch.Name+" (on demand)", input, true)
	if err != nil {
		return nil, err
	}
	if res.Err != nil {
		return nil, res.Err
	}
	return res.Payload, nil
}
