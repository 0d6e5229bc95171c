package deploy

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// readSamconfig parses samconfig.toml's subset of TOML (tables and
// key = string | bool | number lines) into "env.command.parameters" ->
// key -> value. commented also reads the "# " lines of the commented
// example environments.
func readSamconfig(t *testing.T, commented bool) map[string]map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "samconfig.toml"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]string{}
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if commented {
			rest, ok := strings.CutPrefix(line, "#")
			if !ok {
				continue
			}
			line = strings.TrimSpace(rest)
			if !strings.HasPrefix(line, "[") && section == "" {
				continue
			}
		}
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "["):
			section = strings.Trim(line, "[]")
			out[section] = map[string]string{}
		default:
			key, val, ok := strings.Cut(line, "=")
			if !ok {
				if commented {
					continue
				}
				t.Fatalf("samconfig.toml:%d: %q", n, line)
			}
			key, val = strings.TrimSpace(key), strings.TrimSpace(val)
			if strings.HasPrefix(val, `"`) {
				end := strings.LastIndex(val, `"`)
				s, err := strconv.Unquote(val[:end+1])
				if err != nil {
					t.Fatalf("samconfig.toml:%d: %v", n, err)
				}
				val = s
			} else if i := strings.Index(val, "#"); i >= 0 {
				val = strings.TrimSpace(val[:i])
			}
			if section == "" {
				continue // version
			}
			out[section][key] = val
		}
	}
	return out
}

// overrides splits a parameter_overrides string: Key="value" Key2=value2.
func overrides(s string) map[string]string {
	out := map[string]string{}
	for _, m := range regexp.MustCompile(`(\w+)=("(?:[^"\\]|\\.)*"|\S+)`).FindAllStringSubmatch(s, -1) {
		v := m[2]
		if u, err := strconv.Unquote(v); err == nil {
			v = u
		}
		out[m[1]] = v
	}
	return out
}

// TestSamconfig: [default] is the sandbox environment, both name the
// template's real parameters with valid values (the sandbox host), every
// parameter without a default is given, and the commented production
// example does too.
func TestSamconfig(t *testing.T) {
	tp := template(t)
	cfg := readSamconfig(t, false)
	envs := map[string]map[string]map[string]string{}
	for section, kv := range cfg {
		env, cmd, _ := strings.Cut(section, ".")
		if envs[env] == nil {
			envs[env] = map[string]map[string]string{}
		}
		envs[env][cmd] = kv
	}
	if !reflect.DeepEqual(envs["default"], envs["sandbox"]) {
		t.Errorf("[default] and [sandbox] differ:\n%v\n%v", envs["default"], envs["sandbox"])
	}
	for name, env := range map[string]map[string]map[string]string{"default": envs["default"], "sandbox": envs["sandbox"]} {
		checkEnv(t, tp, name, env)
		if got := overrides(env["deploy.parameters"]["parameter_overrides"])["MangopayBaseUrl"]; got != Str(tp.Parameters["MangopayBaseUrl"]["Default"]) || !strings.Contains(got, "sandbox") {
			t.Errorf("[%s]: MangopayBaseUrl %q, want the sandbox host (the template's default)", name, got)
		}
	}
	prod := map[string]map[string]string{}
	for section, kv := range readSamconfig(t, true) {
		if cmd, ok := strings.CutPrefix(section, "production."); ok {
			prod[cmd] = kv
		}
	}
	if len(prod) == 0 {
		t.Errorf("no commented [production] example")
	} else {
		checkEnv(t, tp, "production (commented)", prod)
	}
}

func checkEnv(t *testing.T, tp *Template, name string, env map[string]map[string]string) {
	t.Helper()
	if env["global.parameters"]["stack_name"] == "" {
		t.Errorf("[%s]: no stack_name", name)
	}
	deploy := env["deploy.parameters"]
	if !strings.Contains(deploy["capabilities"], "CAPABILITY_IAM") || deploy["resolve_s3"] != "true" {
		t.Errorf("[%s]: capabilities %q resolve_s3 %q; the stack creates IAM roles and its template needs an S3 upload",
			name, deploy["capabilities"], deploy["resolve_s3"])
	}
	for _, cmd := range []string{"deploy.parameters", "local_invoke.parameters"} {
		ov, ok := env[cmd]
		if !ok {
			if cmd == "deploy.parameters" {
				t.Errorf("[%s]: no %s", name, cmd)
			}
			continue
		}
		params := overrides(ov["parameter_overrides"])
		for k, v := range params {
			p, ok := tp.Parameters[k]
			if !ok {
				t.Errorf("[%s.%s]: %s is not a template parameter", name, cmd, k)
				continue
			}
			if pat := Str(p["AllowedPattern"]); pat != "" && !regexp.MustCompile(pat).MatchString(v) {
				t.Errorf("[%s.%s]: %s=%q does not match %s", name, cmd, k, v, pat)
			}
			if allowed := Strings(p["AllowedValues"]); allowed != nil && !contains(allowed, v) {
				t.Errorf("[%s.%s]: %s=%q is not one of %v", name, cmd, k, v, allowed)
			}
		}
		for k, p := range tp.Parameters {
			secret := p["NoEcho"] == true || Str(p["NoEcho"]) == "true"
			if _, def := p["Default"]; !def && !secret && params[k] == "" {
				t.Errorf("[%s.%s]: no value for %s, which has no default", name, cmd, k)
			}
			// A secret parameter (NoEcho, e.g. HookToken) must never be written
			// in this committed file: sam deploy --guided asks for it, and a
			// placeholder that deploys would be a publicly known secret.
			if secret && params[k] != "" {
				t.Errorf("[%s.%s]: %s is a secret (NoEcho): leave it out of samconfig.toml", name, cmd, k)
			}
		}
		if params["AuthMode"] == "JWT" && (params["JwtIssuer"] == "" || params["JwtAudience"] == "") {
			t.Errorf("[%s.%s]: AuthMode JWT without JwtIssuer and JwtAudience", name, cmd)
		}
	}
}
