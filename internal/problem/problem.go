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
	"sort"
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
}

// Response builds a problem answer. Field errors are sorted by field.
func Response(status int, title, detail string, fields []FieldError) events.APIGatewayV2HTTPResponse {
	sort.SliceStable(fields, func(i, j int) bool { return fields[i].Field < fields[j].Field })
	d := Details{Type: "about:blank", Title: title, Status: status, Detail: detail, Errors: fields}
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
		return []FieldError{decodeError(err)}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return []FieldError{{Field: "body", Reason: "unexpected data after the JSON object"}}
	}
	return nil
}

// decodeError turns an encoding/json error into a FieldError.
func decodeError(err error) FieldError {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "body"
		}
		return FieldError{Field: field, Reason: fmt.Sprintf("must be a %s, not a JSON %s", jsonKind(typeErr.Type.Kind().String()), typeErr.Value)}
	case errors.As(err, &syntaxErr):
		return FieldError{Field: "body", Reason: fmt.Sprintf("not valid JSON (at byte %d)", syntaxErr.Offset)}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return FieldError{Field: name, Reason: "unknown field"}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return FieldError{Field: "body", Reason: "JSON ends too early"}
	}
	return FieldError{Field: "body", Reason: "not a valid JSON object"}
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
