// Package deploy checks the deployment files against the code: the SAM
// template (template.yaml), the OpenAPI description (openapi.yaml) and the
// sample events (events/). Its tests are what keeps the three in step with
// functions/ and internal/operations; this file reads the template.
package deploy

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"
)

// Template is a CloudFormation/SAM template decoded into plain values:
// maps, lists, strings, ints, floats and bools, with every short-form
// intrinsic (!Ref, !GetAtt, !Sub, !If...) in its long form ({"Ref": x},
// {"Fn::GetAtt": [resource, attribute]}, {"Fn::Sub": x}, {"Fn::If": [...]}).
type Template struct {
	Parameters map[string]map[string]any
	Rules      map[string]any
	Conditions map[string]any
	Globals    map[string]any
	Resources  map[string]Resource
	Outputs    map[string]any
}

// Resource is one entry of Resources.
type Resource struct {
	Type       string
	Properties map[string]any
	Metadata   map[string]any
	Condition  string
}

// ReadTemplate reads and decodes a template file.
func ReadTemplate(path string) (*Template, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	doc, err := decodeYAML(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	t := &Template{Parameters: map[string]map[string]any{}, Resources: map[string]Resource{},
		Rules: Map(doc["Rules"]), Conditions: Map(doc["Conditions"]), Globals: Map(doc["Globals"]), Outputs: Map(doc["Outputs"])}
	for name, p := range Map(doc["Parameters"]) {
		t.Parameters[name] = Map(p)
	}
	for id, r := range Map(doc["Resources"]) {
		m := Map(r)
		t.Resources[id] = Resource{Type: Str(m["Type"]), Properties: Map(m["Properties"]), Metadata: Map(m["Metadata"]), Condition: Str(m["Condition"])}
	}
	return t, nil
}

// decodeYAML decodes one YAML document holding a mapping.
func decodeYAML(b []byte) (map[string]any, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, err
	}
	if len(root.Content) != 1 {
		return nil, fmt.Errorf("not a single YAML document")
	}
	v, err := decodeNode(root.Content[0])
	if err != nil {
		return nil, err
	}
	doc, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("the document is not a mapping")
	}
	return doc, nil
}

// decodeNode turns a YAML node into plain values, expanding short-form
// intrinsics and merge keys.
func decodeNode(n *yaml.Node) (any, error) {
	if n.Kind == yaml.AliasNode {
		return decodeNode(n.Alias)
	}
	if fn, ok := intrinsicTag(n.Tag); ok {
		plain := *n
		plain.Tag = ""
		if n.Kind == yaml.ScalarNode {
			plain.Tag = "!!str"
		}
		v, err := decodeNode(&plain)
		if err != nil {
			return nil, err
		}
		if fn == "Fn::GetAtt" {
			if s, ok := v.(string); ok {
				res, attr, _ := strings.Cut(s, ".")
				v = []any{res, attr}
			}
		}
		return map[string]any{fn: v}, nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, err := decodeNode(n.Content[i])
			if err != nil {
				return nil, err
			}
			v, err := decodeNode(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[fmt.Sprint(k)] = v
		}
		return m, nil
	case yaml.SequenceNode:
		l := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := decodeNode(c)
			if err != nil {
				return nil, err
			}
			l = append(l, v)
		}
		return l, nil
	case yaml.ScalarNode:
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
		return v, nil
	}
	return nil, fmt.Errorf("line %d: unexpected YAML node", n.Line)
}

// intrinsicTag maps a short-form tag to its long-form key.
func intrinsicTag(tag string) (string, bool) {
	if !strings.HasPrefix(tag, "!") || strings.HasPrefix(tag, "!!") {
		return "", false
	}
	name := tag[1:]
	switch name {
	case "Ref", "Condition":
		return name, true
	case "GetAtt", "Sub", "If", "Equals", "Not", "And", "Or", "Select", "Split", "Join", "FindInMap",
		"Base64", "Cidr", "GetAZs", "ImportValue", "Transform", "Length", "ToJsonString", "Contains", "EachMemberEquals",
		"EachMemberIn", "RefAll", "ValueOf", "ValueOfAll":
		return "Fn::" + name, true
	}
	return "", false
}

// Map returns v as a mapping, or nil.
func Map(v any) map[string]any { m, _ := v.(map[string]any); return m }

// List returns v as a list, or nil.
func List(v any) []any { l, _ := v.([]any); return l }

// Str returns v as a string, or "".
func Str(v any) string { s, _ := v.(string); return s }

// Int returns v as an integer (from an int, float or numeric string).
func Int(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case float64:
		return int(x), x == float64(int(x))
	case string:
		i, err := strconv.Atoi(x)
		return i, err == nil
	}
	return 0, false
}

// Strings returns v as a list of strings (a single string is a list of one).
func Strings(v any) []string {
	if s, ok := v.(string); ok {
		return []string{s}
	}
	var out []string
	for _, x := range List(v) {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

// Intrinsic returns the name and argument of a one-key intrinsic map
// ({"Ref": x}, {"Fn::If": [...]}, ...).
func Intrinsic(v any) (string, any, bool) {
	m := Map(v)
	if len(m) != 1 {
		return "", nil, false
	}
	for k, a := range m {
		if k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::") {
			return k, a, true
		}
	}
	return "", nil, false
}

// RefTo returns the logical name v refers to with !Ref, or "".
func RefTo(v any) string {
	if fn, a, ok := Intrinsic(v); ok && fn == "Ref" {
		return Str(a)
	}
	return ""
}

// GetAttOf returns the resource and attribute of a !GetAtt, or "".
func GetAttOf(v any) (string, string) {
	if fn, a, ok := Intrinsic(v); ok && fn == "Fn::GetAtt" {
		l := Strings(a)
		if len(l) == 2 {
			return l[0], l[1]
		}
	}
	return "", ""
}

// ResolveIfs returns v with every Fn::If resolved from the given
// condition values (and AWS::NoValue branches dropped).
func ResolveIfs(v any, conditions map[string]bool) any {
	if fn, a, ok := Intrinsic(v); ok && fn == "Fn::If" {
		args := List(a)
		if len(args) == 3 {
			if conditions[Str(args[0])] {
				return ResolveIfs(args[1], conditions)
			}
			return ResolveIfs(args[2], conditions)
		}
	}
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			r := ResolveIfs(e, conditions)
			if RefTo(r) == "AWS::NoValue" {
				continue
			}
			out[k] = r
		}
		return out
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			r := ResolveIfs(e, conditions)
			if RefTo(r) == "AWS::NoValue" {
				continue
			}
			out = append(out, r)
		}
		return out
	}
	return v
}

// subVar matches ${Name} and ${Name.Attr} in an Fn::Sub string (not ${!Literal}).
var subVar = regexp.MustCompile(`\$\{([A-Za-z0-9:]+)(?:\.[A-Za-z0-9.]+)?\}`)

// Names returns every logical name v refers to: !Ref targets, !GetAtt
// resources, ${Name} in !Sub strings (except the Sub's own variables) and
// condition names used by !If and !Condition.
func Names(v any) map[string]bool {
	out := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		if fn, a, ok := Intrinsic(v); ok {
			switch fn {
			case "Ref", "Condition":
				out[Str(a)] = true
				return
			case "Fn::GetAtt":
				if l := Strings(a); len(l) > 0 {
					out[l[0]] = true
				}
				return
			case "Fn::Sub":
				s, vars := Str(a), map[string]any{}
				if l := List(a); len(l) == 2 {
					s, vars = Str(l[0]), Map(l[1])
					walk(l[1])
				}
				for _, m := range subVar.FindAllStringSubmatch(s, -1) {
					if _, own := vars[m[1]]; !own {
						out[m[1]] = true
					}
				}
				return
			case "Fn::If":
				if l := List(a); len(l) > 0 {
					out[Str(l[0])] = true
				}
			}
		}
		switch x := v.(type) {
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

// Function is one AWS::Serverless::Function with its folder in functions/.
type Function struct {
	LogicalID string
	// Folder is the folder name the logical id stands for ("" if the id
	// does not end in Function).
	Folder string
	Props  map[string]any
	Meta   map[string]any
}

// LogicalID is the logical id of the function in functions/<folder>:
// CamelCase of the folder name plus "Function".
func LogicalID(folder string) string { return Camel(folder) + "Function" }

// Camel turns "create-natural-user" into "CreateNaturalUser".
func Camel(kebab string) string {
	var sb strings.Builder
	for _, w := range strings.Split(kebab, "-") {
		if w == "" {
			continue
		}
		r := []rune(w)
		sb.WriteRune(unicode.ToUpper(r[0]))
		sb.WriteString(string(r[1:]))
	}
	return sb.String()
}

// kebab is Camel's inverse for folder names made of lower-case words.
func kebab(camel string) string {
	var sb strings.Builder
	for i, r := range camel {
		if unicode.IsUpper(r) {
			if i > 0 {
				sb.WriteByte('-')
			}
			r = unicode.ToLower(r)
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

// Functions returns the template's functions, sorted by logical id.
func (t *Template) Functions() []Function {
	var out []Function
	for id, r := range t.Resources {
		if r.Type != "AWS::Serverless::Function" {
			continue
		}
		f := Function{LogicalID: id, Props: r.Properties, Meta: r.Metadata}
		if base, ok := strings.CutSuffix(id, "Function"); ok {
			f.Folder = kebab(base)
		}
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LogicalID < out[j].LogicalID })
	return out
}

// Function returns the function of a folder.
func (t *Template) Function(folder string) (Function, bool) {
	for _, f := range t.Functions() {
		if f.Folder == folder {
			return f, true
		}
	}
	return Function{}, false
}

// Prop is a function property as SAM applies Globals: the function's
// value, or Globals' when the function does not set it; two mappings are
// merged (the function's keys win).
func (t *Template) Prop(f Function, name string) any {
	g, own := Map(t.Globals["Function"])[name], f.Props[name]
	gm, om := Map(g), Map(own)
	if gm != nil && om != nil {
		merged := map[string]any{}
		for k, v := range gm {
			merged[k] = v
		}
		for k, v := range om {
			merged[k] = v
		}
		return merged
	}
	if own != nil {
		return own
	}
	return g
}

// Env is a function's environment: Globals' variables overlaid with its own.
func (t *Template) Env(f Function) map[string]any {
	env := map[string]any{}
	for k, v := range Map(Map(Map(t.Globals["Function"])["Environment"])["Variables"]) {
		env[k] = v
	}
	for k, v := range Map(Map(f.Props["Environment"])["Variables"]) {
		env[k] = v
	}
	return env
}

// Event is one entry of a function's Events.
type Event struct {
	Name       string
	Type       string
	Properties map[string]any
}

// Events returns a function's events, sorted by name.
func (f Function) Events() []Event {
	var out []Event
	for name, e := range Map(f.Props["Events"]) {
		m := Map(e)
		out = append(out, Event{Name: name, Type: Str(m["Type"]), Properties: Map(m["Properties"])})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Route is an HTTP API route: "POST /users/natural".
type Route struct{ Method, Path string }

func (r Route) String() string { return r.Method + " " + r.Path }

// Routes returns the HttpApi routes of a function.
func (f Function) Routes() []Route {
	var out []Route
	for _, e := range f.Events() {
		if e.Type == "HttpApi" {
			out = append(out, Route{Method: strings.ToUpper(Str(e.Properties["Method"])), Path: Str(e.Properties["Path"])})
		}
	}
	return out
}

// Schedules returns a function's ScheduleV2 (EventBridge Scheduler)
// and legacy Schedule events.
func (f Function) Schedules() []Event {
	var out []Event
	for _, e := range f.Events() {
		if e.Type == "ScheduleV2" || e.Type == "Schedule" {
			out = append(out, e)
		}
	}
	return out
}

// Queues returns the logical ids of the queues a function's SQS events read.
func (f Function) Queues() []string {
	var out []string
	for _, e := range f.Events() {
		if e.Type == "SQS" {
			q, _ := GetAttOf(e.Properties["Queue"])
			out = append(out, q)
		}
	}
	return out
}

// FunctionFolders lists the folders of functions/ that hold a main.go.
func FunctionFolders(root string) ([]string, error) {
	matches, err := filepath.Glob(filepath.Join(root, "functions", "*", "main.go"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range matches {
		out = append(out, filepath.Base(filepath.Dir(m)))
	}
	sort.Strings(out)
	return out, nil
}

// EventFunction returns the folder an events/ file belongs to: the longest
// folder name that the file name starts with, followed by "." or "-".
func EventFunction(file string, folders []string) string {
	base := filepath.Base(file)
	best := ""
	for _, f := range folders {
		if rest, ok := strings.CutPrefix(base, f); ok && (strings.HasPrefix(rest, ".") || strings.HasPrefix(rest, "-")) && len(f) > len(best) {
			best = f
		}
	}
	return best
}
