package api

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/lambda-mangopay/lambda-mangopay/internal/problem"
	"github.com/lambda-mangopay/lambda-mangopay/internal/validate"
)

// decode builds the input from a JSON body plus named values from the path
// or query (e.g. user_id), strictly: unknown fields, wrong types and
// values given twice are refused, and the input's own checks run.
func decode[T any, PT interface {
	*T
	Input
}](body []byte, named map[string]string) (*T, []problem.FieldError) {
	obj := map[string]json.RawMessage{}
	if len(bytes.TrimSpace(body)) > 0 {
		if errs := problem.Decode(body, &obj); errs != nil {
			return nil, errs
		}
		if obj == nil { // JSON null
			return nil, []problem.FieldError{{Field: "body", Reason: "must be a JSON object, not null"}}
		}
	}
	var v validate.Errors
	for name, value := range named {
		if _, dup := obj[name]; dup {
			v.Add(name, "is given in the path or query; leave it out of the body")
			continue
		}
		obj[name] = literal(value)
	}
	if errs := v.List(); errs != nil {
		return nil, errs
	}
	merged, _ := json.Marshal(obj)
	in := new(T)
	if errs := problem.Decode(merged, in); errs != nil {
		return nil, errs
	}
	PT(in).Validate(&v)
	return in, v.List()
}

// literal turns a path or query value into JSON: true and false become
// booleans (e.g. ?refresh=true), anything else a string.
func literal(s string) json.RawMessage {
	if s == "true" || s == "false" {
		return json.RawMessage(s)
	}
	b, _ := json.Marshal(s)
	return b
}

// validKey checks a caller's idempotency key: 1 to 255 printable ASCII
// characters without spaces.
func validKey(k string) bool {
	if len(k) == 0 || len(k) > 255 {
		return false
	}
	return !strings.ContainsFunc(k, func(r rune) bool { return r <= ' ' || r > '~' })
}
