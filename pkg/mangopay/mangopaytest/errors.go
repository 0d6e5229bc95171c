package mangopaytest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// Messages Mangopay uses for its common error Types.
const (
	msgParamError  = "One or several required parameters are missing or incorrect. An incorrect resource ID also raises this kind of error."
	msgNotFound    = "The ressource does not exist"
	msgInvalidCred = "The authorization credentials are not valid"
	msgForbidden   = "You do not have access to this ressource"
	msgRateLimit   = "Rate limit exceeded. Please contact support for more assistance"
	msgIdemConfl   = "A resource has already been created with this Idempotency Key"
	msgCurrency    = "Error: multi-currency usage is not authorized"
)

// reply is a handler's answer, written by the HTTP layer.
type reply struct {
	status int
	body   []byte // nil for an empty body
	ctype  string // defaults to JSON when body is set
	header http.Header
}

// jsonReply marshals v (without HTML escaping) into a reply.
func jsonReply(status int, v any) *reply {
	return &reply{status: status, body: marshal(v)}
}

func marshal(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(fmt.Sprintf("mangopaytest: marshal %T: %v", v, err))
	}
	return bytes.TrimRight(buf.Bytes(), "\n")
}

// errorBody is Mangopay's usual error shape. Date is written as a float
// (e.g. 1740581497.0), one of the forms the real API uses.
type errorBody struct {
	Message string             `json:"Message"`
	Type    string             `json:"Type"`
	Id      string             `json:"Id"`
	Date    json.RawMessage    `json:"Date"`
	Errors  *map[string]string `json:"errors"`
}

// errorBodyCap is the variant with a capitalised "Errors" key.
type errorBodyCap struct {
	Message string             `json:"Message"`
	Type    string             `json:"Type"`
	Id      string             `json:"Id"`
	Date    json.RawMessage    `json:"Date"`
	Errors  *map[string]string `json:"Errors"`
}

// apiError builds an error reply; errs nil gives "errors":null.
func (st *state) apiError(status int, typ, msg string, errs map[string]string) *reply {
	b := errorBody{Message: msg, Type: typ, Id: st.errorID(), Date: st.floatDate()}
	if errs != nil {
		b.Errors = &errs
	}
	return jsonReply(status, b)
}

// apiErrorCap is apiError with the "Errors" key spelling.
func (st *state) apiErrorCap(status int, typ, msg string, errs map[string]string) *reply {
	b := errorBodyCap{Message: msg, Type: typ, Id: st.errorID(), Date: st.floatDate()}
	if errs != nil {
		b.Errors = &errs
	}
	return jsonReply(status, b)
}

func (st *state) errorID() string {
	return uuid4() + "#" + strconv.FormatInt(st.unix(), 10)
}

func (st *state) floatDate() json.RawMessage {
	return json.RawMessage(strconv.FormatInt(st.unix(), 10) + ".0")
}

// paramError is 400 param_error with one message per bad field.
func (st *state) paramError(errs map[string]string) *reply {
	return st.apiError(http.StatusBadRequest, "param_error", msgParamError, errs)
}

// paramError1 is paramError for a single field.
func (st *state) paramError1(field, msg string) *reply {
	return st.paramError(map[string]string{field: msg})
}

// notFound is 404 ressource_not_found for an unknown Id in the path.
func (st *state) notFound(what, id string) *reply {
	return st.apiError(http.StatusNotFound, "ressource_not_found", msgNotFound,
		map[string]string{"RessourceNotFound": fmt.Sprintf("Cannot found the ressource %s with the id=%s ", what, id)})
}

// badRequest is a 400 with a Type other than param_error and "errors":null.
func (st *state) badRequest(typ, msg string) *reply {
	return st.apiError(http.StatusBadRequest, typ, msg, nil)
}

// currencyError is 400 currency_incompatibility with errors.currency.
func (st *state) currencyError(detail string) *reply {
	return st.apiError(http.StatusBadRequest, "currency_incompatibility", msgCurrency,
		map[string]string{"currency": detail})
}

// invalidCredentials is the 401 body: no Id and no errors, integer Date.
func (st *state) invalidCredentials() *reply {
	return jsonReply(http.StatusUnauthorized, struct {
		Message string `json:"Message"`
		Type    string `json:"Type"`
		Date    int64  `json:"Date"`
	}{msgInvalidCred, "invalid_credentials", st.unix()})
}

// fieldErrs collects per-field validation messages; the first one per field
// wins.
type fieldErrs map[string]string

func (e fieldErrs) add(field, msg string) {
	if _, ok := e[field]; !ok {
		e[field] = msg
	}
}

func (e fieldErrs) addf(field, format string, a ...any) {
	e.add(field, fmt.Sprintf(format, a...))
}

func (e fieldErrs) required(field string) {
	e.addf(field, "The %s field is required.", field)
}
