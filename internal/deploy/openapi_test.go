package deploy

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/lambda-mangopay/lambda-mangopay/internal/operations"
	"github.com/lambda-mangopay/lambda-mangopay/internal/problem"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// opInfo describes the operation of one function, read from the
// ...Op() methods of a zero operations.Service.
type opInfo struct {
	method string // e.g. CreateNaturalUserOp
	create bool
	input  reflect.Type
}

// operationsByName maps each operation's name (its folder) to its
// method and input type: the ...Op methods of operations.Service, and of
// operations.Hooks for the hook functions.
func operationsByName(t *testing.T) map[string]opInfo {
	t.Helper()
	out := map[string]opInfo{}
	for _, v := range []any{&operations.Service{}, &operations.Hooks{}} {
		addOperations(reflect.ValueOf(v), out)
	}
	return out
}

func addOperations(svc reflect.Value, out map[string]opInfo) {
	for i := 0; i < svc.NumMethod(); i++ {
		m := svc.Type().Method(i)
		if !strings.HasSuffix(m.Name, "Op") || m.Type.NumIn() != 1 || m.Type.NumOut() != 1 {
			continue
		}
		op := svc.Method(i).Call(nil)[0] // builds the struct; nothing is dereferenced
		run := op.FieldByName("Run")
		if op.Kind() != reflect.Struct || !run.IsValid() || run.Type().NumIn() != 3 {
			continue
		}
		out[op.FieldByName("Name").String()] = opInfo{method: m.Name, create: op.FieldByName("Create").Bool(), input: run.Type().In(1).Elem()}
	}
}

// successTypes are the answers that are not the plain record.
var successTypes = map[string][]reflect.Type{
	"get-kyc-requirements":     {reflect.TypeOf(operations.KYCRequirements{})},
	"add-page":                 {reflect.TypeOf(records.Record{}), reflect.TypeOf(operations.PageUploadAnswer{})},
	"create-card-registration": {reflect.TypeOf(operations.CardRegistrationAnswer{})},
	"create-card-payin":        {reflect.TypeOf(operations.PaymentAnswer{})},
	"create-web-payin":         {reflect.TypeOf(operations.PaymentAnswer{})},
	"create-bankwire-payin":    {reflect.TypeOf(operations.PaymentAnswer{})},
	"get-payin":                {reflect.TypeOf(operations.PaymentAnswer{})},
	"create-preauthorization":  {reflect.TypeOf(operations.PaymentAnswer{})},
	"get-preauthorization":     {reflect.TypeOf(operations.PaymentAnswer{})},
	"cancel-preauthorization":  {reflect.TypeOf(operations.PaymentAnswer{})},
	"capture-preauthorization": {reflect.TypeOf(operations.PaymentAnswer{})},
	"receive-hook":             {reflect.TypeOf(operations.ReceiveHookAnswer{})},
	"create-transfer":          {reflect.TypeOf(operations.TransferAnswer{})},
	"get-transfer":             {reflect.TypeOf(operations.TransferAnswer{})},
}

// hookNotFound is receive-hook's answer to a wrong token: API Gateway's
// own 404 for an unknown route (operations.Hooks.HTTPHandler), not a
// problem document.
type hookNotFound struct {
	Message string `json:"message"`
}

// TestOpenAPIMatchesOperations: for every route, openapi.yaml's path and
// query parameters plus request body properties are exactly the json
// fields of the operation's input struct (nested objects too, with
// matching types); the success answers are the records.Record (or the
// operation's answer type) and match its json fields; creates answer 201
// (and 202 when the function may queue the work), others 200; every
// route lists its errors and both security schemes.
func TestOpenAPIMatchesOperations(t *testing.T) {
	doc := readOpenAPI(t)
	ops := operationsByName(t)
	documented := operationsIn(Map(doc["paths"]))
	tp := template(t)
	for r, folder := range templateRoutes(t) {
		op, ok := ops[folder]
		if !ok {
			t.Errorf("%s: no operation named %q among operations.Service's ...Op methods", r, folder)
			continue
		}
		d, ok := documented[r]
		if !ok {
			continue // TestRoutesMatchOpenAPI says so
		}
		name := fmt.Sprintf("%s (%s, %s)", r, folder, op.input.Name())
		c := &schemaCheck{t: t, doc: doc}
		f, _ := tp.Function(folder)
		_, async := tp.Env(f)["OPERATION_QUEUE_URL"]

		params := map[string]string{} // name -> in
		for _, p := range List(d["parameters"]) {
			p = c.resolve(p)
			params[Str(Map(p)["name"])] = Str(Map(p)["in"])
		}
		var pathParams []string
		for _, seg := range strings.Split(r.Path, "/") {
			if strings.HasPrefix(seg, "{") {
				pathParams = append(pathParams, strings.Trim(seg, "{}"))
			}
		}
		for _, p := range pathParams {
			if params[p] != "path" {
				t.Errorf("%s: path parameter %s not documented", name, p)
			}
		}
		if (params["Idempotency-Key"] == "header") != (r.Method != "GET") {
			t.Errorf("%s: Idempotency-Key header documented = %v; want it on every route but GET", name, params["Idempotency-Key"] != "")
		}
		if (params["Prefer"] == "header") != async {
			t.Errorf("%s: Prefer header documented = %v, but the function queues async creates = %v", name, params["Prefer"] != "", async)
		}

		goFields := jsonFields(op.input)
		body := Map(c.resolve(Map(Map(Map(c.resolve(d["requestBody"]))["content"])["application/json"])["schema"]))
		props := Map(body["properties"])
		seen := map[string]string{}
		for p, in := range params {
			if in == "path" || in == "query" {
				seen[p] = in
			}
		}
		for p := range props {
			if where, dup := seen[p]; dup {
				t.Errorf("%s: %s is both a %s parameter and a body field (the function refuses that)", name, p, where)
			}
			seen[p] = "body"
		}
		for field, ft := range goFields {
			where, ok := seen[field]
			switch {
			case !ok:
				t.Errorf("%s: input field %s is not documented (no parameter, no body property)", name, field)
			case where == "body":
				c.compare(name+" body."+field, props[field], ft)
			case where == "query" && baseType(ft).Kind() != reflect.Bool && baseType(ft).Kind() != reflect.String:
				t.Errorf("%s: query parameter %s is a %s", name, field, ft)
			}
		}
		for p, where := range seen {
			if _, ok := goFields[p]; !ok {
				t.Errorf("%s: %s %s is not a field of %s", name, where, p, op.input)
			}
		}
		if len(props) > 0 {
			c.checkRequired(name+" body", body)
			if body["additionalProperties"] != false {
				t.Errorf("%s: the body schema allows other properties, which the function refuses", name)
			}
		} else if d["requestBody"] != nil {
			t.Errorf("%s: a request body with no properties", name)
		}

		responses := Map(d["responses"])
		want := []string{"400", "409", "422", "503"}
		if len(pathParams) > 0 {
			want = append(want, "404")
		}
		if r == hookRoute {
			// receive-hook calls no Mangopay API and takes no
			// Idempotency-Key: no 409 or 422.
			want = []string{"400", "404", "503"}
		}
		success := "200"
		if op.create {
			success = "201"
		}
		if async {
			want = append(want, "202")
		}
		for _, code := range append(want, success) {
			if responses[code] == nil {
				t.Errorf("%s: no %s answer documented", name, code)
			}
		}
		for code, resp := range responses {
			resp := Map(c.resolve(resp))
			content := Map(resp["content"])
			switch {
			case strings.HasPrefix(code, "2"):
				if code != success && !(code == "202" && async) {
					t.Errorf("%s: answers %s, want %s", name, code, success)
				}
				types := successTypes[folder]
				if types == nil {
					types = []reflect.Type{reflect.TypeOf(records.Record{})}
				}
				s := Map(c.resolve(Map(content["application/json"])["schema"]))
				alts := List(s["oneOf"])
				if alts == nil {
					alts = []any{s}
				}
				if len(alts) != len(types) {
					t.Errorf("%s %s: %d alternative answers, want %d (%v)", name, code, len(alts), len(types), types)
					continue
				}
				for i, alt := range alts {
					c.compare(fmt.Sprintf("%s %s answer", name, code), alt, types[i])
				}
			case r == hookRoute && code == "404":
				c.compare(name+" 404 answer", Map(content["application/json"])["schema"], reflect.TypeOf(hookNotFound{}))
			default:
				s := Map(content["application/problem+json"])["schema"]
				c.compare(name+" "+code+" answer", s, reflect.TypeOf(problem.Details{}))
			}
		}

		sec := List(d["security"])
		scopes := []string{"mangopay/write"}
		if r.Method == "GET" {
			scopes = []string{"mangopay/read", "mangopay/write"}
		}
		wantSec := []any{map[string]any{"sigv4": []any{}}, map[string]any{"jwt": toAny(scopes)}}
		if r == hookRoute {
			// The one route without authorization (hooks_test.go).
			wantSec = []any{}
		}
		if !reflect.DeepEqual(sec, wantSec) {
			t.Errorf("%s: security %v, want %v", name, sec, wantSec)
		}
	}
	schemes := Map(Map(doc["components"])["securitySchemes"])
	if Str(Map(schemes["sigv4"])["x-amazon-apigateway-authtype"]) != "awsSigv4" || Str(Map(schemes["jwt"])["scheme"]) != "bearer" {
		t.Errorf("securitySchemes %v: want sigv4 (awsSigv4) and jwt (bearer)", schemes)
	}
	// The default scopes documented are the template's.
	for p, s := range map[string]string{"JwtReadScope": "mangopay/read", "JwtWriteScope": "mangopay/write"} {
		if Str(tp.Parameters[p]["Default"]) != s {
			t.Errorf("parameter %s defaults to %v; openapi.yaml documents %s", p, tp.Parameters[p]["Default"], s)
		}
	}
}

// TestOpenAPIRecordSchema: components.schemas.Record is records.Record.
func TestOpenAPIRecordSchema(t *testing.T) {
	doc := readOpenAPI(t)
	c := &schemaCheck{t: t, doc: doc}
	c.compare("Record", map[string]any{"$ref": "#/components/schemas/Record"}, reflect.TypeOf(records.Record{}))
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out
}

// jsonFields returns a struct's json field names and types as
// encoding/json sees them (embedded structs promoted unless shadowed).
func jsonFields(t reflect.Type) map[string]reflect.Type {
	t = baseType(t)
	own := map[string]reflect.Type{}
	promoted := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		if f.Anonymous && name == "" && baseType(f.Type).Kind() == reflect.Struct {
			for n, ft := range jsonFields(f.Type) {
				promoted[n] = ft
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		own[name] = f.Type
	}
	for n, ft := range promoted {
		if _, shadowed := own[n]; !shadowed {
			own[n] = ft
		}
	}
	return own
}

func baseType(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// schemaCheck compares OpenAPI schemas with Go types.
type schemaCheck struct {
	t   *testing.T
	doc map[string]any
}

// resolve follows a local $ref.
func (c *schemaCheck) resolve(v any) any {
	for i := 0; i < 10; i++ {
		ref := Str(Map(v)["$ref"])
		if ref == "" {
			return v
		}
		var cur any = c.doc
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			cur = Map(cur)[part]
		}
		if cur == nil {
			c.t.Errorf("unresolved $ref %s", ref)
			return nil
		}
		v = cur
	}
	return v
}

var (
	timeType = reflect.TypeOf(time.Time{})
	rawType  = reflect.TypeOf(json.RawMessage{})
)

// compare checks schema s against Go type gt, recursively.
func (c *schemaCheck) compare(where string, s any, gt reflect.Type) {
	c.t.Helper()
	sm := Map(c.resolve(s))
	if sm == nil {
		c.t.Errorf("%s: no schema (Go type %s)", where, gt)
		return
	}
	typ := Str(sm["type"])
	gt = baseType(gt)
	switch {
	case gt == timeType:
		if typ != "string" || Str(sm["format"]) != "date-time" {
			c.t.Errorf("%s: %s is type %q format %q, want string date-time", where, gt, typ, sm["format"])
		}
		return
	case gt == rawType:
		if typ != "" && typ != "object" {
			c.t.Errorf("%s: raw JSON documented as %q", where, typ)
		}
		return
	}
	want := map[reflect.Kind]string{reflect.String: "string", reflect.Bool: "boolean", reflect.Int: "integer", reflect.Int32: "integer",
		reflect.Int64: "integer", reflect.Slice: "array", reflect.Map: "object", reflect.Struct: "object"}[gt.Kind()]
	if typ != want {
		c.t.Errorf("%s: type %q, want %q (Go %s)", where, typ, want, gt)
		return
	}
	switch gt.Kind() {
	case reflect.Slice:
		c.compare(where+"[]", sm["items"], gt.Elem())
	case reflect.Map:
		c.compare(where+"{}", sm["additionalProperties"], gt.Elem())
	case reflect.Struct:
		props := Map(sm["properties"])
		fields := jsonFields(gt)
		var names []string
		for n := range fields {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			if _, ok := props[n]; !ok {
				c.t.Errorf("%s: %s's json field %s is missing", where, gt, n)
				continue
			}
			c.compare(where+"."+n, props[n], fields[n])
		}
		for n := range props {
			if _, ok := fields[n]; !ok {
				c.t.Errorf("%s: property %s is not a json field of %s", where, n, gt)
			}
		}
		c.checkRequired(where, sm)
	}
}

// checkRequired: required names only properties.
func (c *schemaCheck) checkRequired(where string, sm map[string]any) {
	c.t.Helper()
	props := Map(sm["properties"])
	req := Strings(sm["required"])
	for _, alt := range List(sm["oneOf"]) {
		req = append(req, Strings(Map(alt)["required"])...)
	}
	for _, r := range req {
		if _, ok := props[r]; !ok {
			c.t.Errorf("%s: required %s is not a property", where, r)
		}
	}
}
