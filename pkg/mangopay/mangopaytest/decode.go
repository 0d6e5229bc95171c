package mangopaytest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
)

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// decodeBody decodes a JSON object into dst (a pointer to a struct of
// pointer fields) the way the fake wants it:
//   - unknown fields are ignored;
//   - field names are matched case-sensitively (a field spelled with another
//     case is unknown, hence ignored), unlike encoding/json's default;
//   - a type error on one field does not stop the others: every bad field is
//     reported, keyed by its path (e.g. "DebitedFunds.Amount").
//
// An empty body decodes as {}.
func decodeBody(body []byte, dst any) fieldErrs {
	errs := fieldErrs{}
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return errs
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
		errs.add("Body", "The request body must be a JSON object")
		return errs
	}
	rv := reflect.ValueOf(dst).Elem()
	rt := rv.Type()
	for i := range rt.NumField() {
		f := rt.Field(i)
		name := jsonName(f)
		raw, ok := obj[name]
		if name == "" || !ok {
			continue
		}
		err := json.Unmarshal(filterKeys(raw, f.Type), rv.Field(i).Addr().Interface())
		if err != nil {
			path, msg := describeDecodeError(name, err)
			errs.add(path, msg)
		}
	}
	return errs
}

// jsonName is the JSON key of a struct field ("" when not decodable).
func jsonName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	tag := f.Tag.Get("json")
	if tag == "-" {
		return ""
	}
	if name, _, _ := strings.Cut(tag, ","); name != "" {
		return name
	}
	return f.Name
}

// filterKeys drops, recursively, the object keys that do not exactly match a
// field of t, so that encoding/json's case-insensitive matching never applies.
func filterKeys(raw json.RawMessage, t reflect.Type) json.RawMessage {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		return raw
	}
	switch t.Kind() {
	case reflect.Struct:
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) != nil || obj == nil {
			return raw
		}
		out := map[string]json.RawMessage{}
		for i := range t.NumField() {
			f := t.Field(i)
			if v, ok := obj[jsonName(f)]; ok && jsonName(f) != "" {
				out[jsonName(f)] = filterKeys(v, f.Type)
			}
		}
		b, _ := json.Marshal(out)
		return b
	case reflect.Slice:
		var arr []json.RawMessage
		if json.Unmarshal(raw, &arr) != nil || arr == nil {
			return raw
		}
		for i := range arr {
			arr[i] = filterKeys(arr[i], t.Elem())
		}
		b, _ := json.Marshal(arr)
		return b
	}
	return raw
}

func describeDecodeError(name string, err error) (string, string) {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		path := name
		if te.Field != "" {
			path = name + "." + te.Field
		}
		return path, fmt.Sprintf("The value of %s is invalid: a JSON %s cannot be converted to %s.", path, te.Value, goTypeName(te.Type))
	}
	return name, fmt.Sprintf("The value of %s is invalid.", name)
}

func goTypeName(t reflect.Type) string {
	if t == nil {
		return "the expected type"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "an integer"
	case reflect.Bool:
		return "a boolean"
	case reflect.String:
		return "a string"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice:
		return "an array"
	}
	return t.String()
}

// flexInt is an integer that may also be sent as a numeric string ("+60"),
// as BrowserInfo.TimeZoneOffset is by some SDKs. It is echoed as received.
type flexInt struct {
	raw json.RawMessage
	val int64
}

// UnmarshalJSON accepts a JSON integer or a string holding one.
func (f *flexInt) UnmarshalJSON(b []byte) error {
	var n int64
	if err := json.Unmarshal(b, &n); err == nil {
		f.raw, f.val = append(json.RawMessage(nil), b...), n
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err == nil && reNumeric.MatchString(s) {
		_, _ = fmt.Sscan(strings.TrimPrefix(s, "+"), &n)
		f.raw, f.val = append(json.RawMessage(nil), b...), n
		return nil
	}
	return &json.UnmarshalTypeError{Value: "value", Type: reflect.TypeFor[int64]()}
}

// MarshalJSON writes the value back as it was received.
func (f flexInt) MarshalJSON() ([]byte, error) {
	if len(f.raw) == 0 {
		return []byte("null"), nil
	}
	return f.raw, nil
}
