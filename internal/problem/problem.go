// Package problem writes RFC 9457 "application/problem+json" answers for
// API Gateway HTTP APIs, and decodes request bodies strictly, naming every
// bad field.
package problem

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// ContentType is the media type of every problem answer.
const ContentType = "application/problem+json"

// MaxBody is the largest request body accepted (API Gateway's own limit is
// 10 MB; Lambda's synchronous payload is about 6 MB).
const MaxBody = 6 << 20

// FieldError names one bad field and says what is wrong with it.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// Details is the JSON body of a problem answer.
type Details struct {
	Type   string       `json:"type"`
	Title  string       `json:"title"`
	Status int          `json:"status"`
	Detail string       `json:"detail,omitempty"`
	Errors []FieldError `json:"errors,omitempty"`
	// RedirectURL is an extension member (RFC 9457 §3.2): where the
	// caller must send its user before trying again, e.g. Mangopay's
	// strong customer authentication page. It is the user's to open and
	// carries a token: it is never part of Detail, which may be logged.
	RedirectURL string `json:"redirect_url,omitempty"`
}

// Response builds a problem answer. Field errors are sorted by field.
func Response(status int, title, detail string, fields []FieldError) events.APIGatewayV2HTTPResponse {
	return ResponseDetails(Details{Title: title, Status: status, Detail: detail, Errors: fields})
}

// ResponseDetails builds a problem answer from d, extension members
// included; Type defaults to about:blank and field errors are sorted by
// field.
func ResponseDetails(d Details) events.APIGatewayV2HTTPResponse {
	if d.Type == "" {
		d.Type = "about:blank"
	}
	fields := d.Errors
	sort.SliceStable(fields, func(i, j int) bool { return fields[i].Field < fields[j].Field })
	status := d.Status
	body, _ := json.Marshal(d)
	return events.APIGatewayV2HTTPResponse{
		StatusCode: status,
		Headers:    map[string]string{"Content-Type": ContentType},
		Body:       string(body),
	}
}

// Invalid is the 400 answer for a request whose fields are wrong.
func Invalid(fields []FieldError) events.APIGatewayV2HTTPResponse {
	return Response(400, "Invalid request", "Correct the fields listed in errors and send the request again.", fields)
}

// Body returns the raw request body, decoding API Gateway's base64 form.
func Body(req events.APIGatewayV2HTTPRequest) ([]byte, error) {
	if !req.IsBase64Encoded {
		return []byte(req.Body), nil
	}
	b, err := base64.StdEncoding.DecodeString(req.Body)
	if err != nil {
		return nil, fmt.Errorf("body is marked base64 but is not: %w", err)
	}
	return b, nil
}

// Decode reads body into v strictly: one JSON object, no unknown fields,
// no trailing data, types as declared. It returns the bad fields, or nil.
func Decode(body []byte, v any) []FieldError {
	if len(body) > MaxBody {
		return []FieldError{{Field: "body", Reason: fmt.Sprintf("larger than %d bytes; upload large files through a presigned URL", MaxBody)}}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return []FieldError{{Field: "body", Reason: "a JSON object is required"}}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return []FieldError{decodeError(err, reflect.TypeOf(v))}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return []FieldError{{Field: "body", Reason: "unexpected data after the JSON object"}}
	}
	return nil
}

// decodeError turns an encoding/json error into a FieldError; t is the
// type decoded into.
func decodeError(err error, t reflect.Type) FieldError {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		field := jsonPath(t, typeErr.Field)
		if field == "" {
			field = "body"
		}
		return FieldError{Field: field, Reason: fmt.Sprintf("must be a %s, not a JSON %s", jsonKind(typeErr.Type.Kind().String()), typeErr.Value)}
	case errors.As(err, &syntaxErr):
		return FieldError{Field: "body", Reason: fmt.Sprintf("not valid JSON (at byte %d)", syntaxErr.Offset)}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// encoding/json quotes the name Go-style (strconv.Quote).
		name := strings.TrimPrefix(err.Error(), "json: unknown field ")
		if unquoted, err := strconv.Unquote(name); err == nil {
			name = unquoted
		}
		return FieldError{Field: name, Reason: "unknown field"}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return FieldError{Field: "body", Reason: "JSON ends too early"}
	}
	return FieldError{Field: "body", Reason: "not a valid JSON object"}
}

// jsonPath rewrites encoding/json's path of a field, which names an
// embedded struct by its Go type name ("RefundAmounts.debited_funds"),
// as the JSON path the caller sent ("debited_funds").
func jsonPath(t reflect.Type, path string) string {
	if path == "" {
		return ""
	}
	var out []string
	for _, seg := range strings.Split(path, ".") {
		t = elem(t)
		if t == nil || t.Kind() != reflect.Struct {
			out, t = append(out, seg), nil
			continue
		}
		f, ok := t.FieldByName(seg)
		if ok && f.Anonymous {
			t = f.Type // an embedded struct: not in the JSON path
			continue
		}
		out, t = append(out, seg), fieldByJSONName(t, seg)
	}
	return strings.Join(out, ".")
}

// elem strips pointers, slices, arrays and maps down to the element type.
func elem(t reflect.Type) reflect.Type {
	for t != nil {
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Map:
			t = t.Elem()
		default:
			return t
		}
	}
	return nil
}

// fieldByJSONName is the type of struct t's field with JSON name name
// (embedded structs searched too), or nil.
func fieldByJSONName(t reflect.Type, name string) reflect.Type {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case tag == name, tag == "" && strings.EqualFold(f.Name, name) && !f.Anonymous:
			return f.Type
		case f.Anonymous && tag == "":
			if ft := elem(f.Type); ft != nil && ft.Kind() == reflect.Struct {
				if found := fieldByJSONName(ft, name); found != nil {
					return found
				}
			}
		}
	}
	return nil
}

// jsonKind names a Go kind the way a JSON client thinks of it.
func jsonKind(kind string) string {
	switch {
	case strings.HasPrefix(kind, "int"), strings.HasPrefix(kind, "uint"):
		return "whole number"
	case strings.HasPrefix(kind, "float"):
		return "number"
	case kind == "string":
		return "string"
	case kind == "bool":
		return "boolean"
	case kind == "slice", kind == "array":
		return "list"
	}
	return "object"
}
