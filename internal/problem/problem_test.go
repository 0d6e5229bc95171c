package problem

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

type money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

type sample struct {
	Name  string `json:"name"`
	Funds money  `json:"funds"`
	Tags  []string
}

func TestDecodeNamesTheBadField(t *testing.T) {
	tests := []struct {
		body, field, reason string
	}{
		{`{"name":"a","extra":1}`, "extra", "unknown field"},
		{`{"funds":{"amount":"12"}}`, "funds.amount", "whole number"},
		{`{"funds":{"amount":1.5}}`, "funds.amount", "whole number"},
		{`{"funds":{"amount":99999999999999999999}}`, "funds.amount", "whole number"},
		{`{"name":5}`, "name", "string"},
		{`[1]`, "body", "object"},
		{`{"name":"a"`, "body", "JSON ends too early"},
		{`{"name":"a"} {}`, "body", "unexpected data"},
		{`{name}`, "body", "not valid JSON"},
		{``, "body", "required"},
		{strings.Repeat(" ", MaxBody+1), "body", "presigned"},
	}
	for _, tt := range tests {
		t.Run(tt.body[:min(len(tt.body), 30)], func(t *testing.T) {
			var v sample
			errs := Decode([]byte(tt.body), &v)
			if len(errs) != 1 || errs[0].Field != tt.field || !strings.Contains(errs[0].Reason, tt.reason) {
				t.Fatalf("got %+v, want field %q with %q", errs, tt.field, tt.reason)
			}
		})
	}
	var v sample
	if errs := Decode([]byte(`{"name":"ok","funds":{"amount":12,"currency":"EUR"}}`), &v); errs != nil || v.Funds.Amount != 12 {
		t.Fatalf("valid body rejected: %+v", errs)
	}
}

func TestInvalidIsProblemJSON(t *testing.T) {
	r := Invalid([]FieldError{{"b", "bad"}, {"a", "worse"}})
	if r.StatusCode != 400 || r.Headers["Content-Type"] != ContentType {
		t.Fatalf("got %d %v", r.StatusCode, r.Headers)
	}
	var d Details
	if err := json.Unmarshal([]byte(r.Body), &d); err != nil {
		t.Fatal(err)
	}
	if d.Status != 400 || len(d.Errors) != 2 || d.Errors[0].Field != "a" {
		t.Fatalf("body %+v", d)
	}
}

func TestBodyDecodesBase64(t *testing.T) {
	b, err := Body(events.APIGatewayV2HTTPRequest{Body: "e30=", IsBase64Encoded: true})
	if err != nil || string(b) != "{}" {
		t.Fatalf("got %q %v", b, err)
	}
	if _, err := Body(events.APIGatewayV2HTTPRequest{Body: "%%%", IsBase64Encoded: true}); err == nil {
		t.Fatal("want an error for bad base64")
	}
}

// Amounts embedded in an input (as operations' refund inputs embed
// RefundAmounts): the field is named by its JSON path, without the Go
// name of the embedded struct.
type amounts struct {
	Funds *money `json:"debited_funds,omitempty"`
}

type withEmbedded struct {
	ID string `json:"payin_id"`
	amounts
	Inner struct {
		amounts
		Items []money `json:"items"`
	} `json:"inner"`
}

func TestDecodeNamesEmbeddedFieldsByTheirJSONPath(t *testing.T) {
	for body, field := range map[string]string{
		`{"debited_funds":{"amount":"12"}}`:          "debited_funds.amount",
		`{"debited_funds":{"amount":1e309}}`:         "debited_funds.amount",
		`{"inner":{"debited_funds":{"currency":5}}}`: "inner.debited_funds.currency",
		`{"inner":{"items":[{"amount":"x"}]}}`:       "inner.items.amount",
		`{"payin_id":7}`:                             "payin_id",
	} {
		var v withEmbedded
		errs := Decode([]byte(body), &v)
		if len(errs) != 1 || errs[0].Field != field {
			t.Errorf("Decode(%s) = %+v, want field %q", body, errs, field)
		}
	}
}

// An unknown field is named as the caller wrote it, even with quotes or
// non-ASCII characters in its name (not in Go's quoted form).
func TestDecodeNamesUnknownFieldsVerbatim(t *testing.T) {
	for _, name := range []string{`"quoted`, `back\slash`, "é", "tab\there"} {
		raw, _ := json.Marshal(map[string]int{name: 1})
		var v sample
		errs := Decode(raw, &v)
		if len(errs) != 1 || errs[0].Field != name || errs[0].Reason != "unknown field" {
			t.Errorf("Decode(%s) = %+v, want unknown field %q", raw, errs, name)
		}
	}
}
