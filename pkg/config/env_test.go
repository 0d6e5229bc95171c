package config

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// validEnv is a complete, valid environment.
func validEnv() map[string]string {
	return map[string]string{
		"TABLE_NAME":               "lambda-mangopay-records",
		"PAGES_BUCKET":             "lambda-mangopay-pages",
		"MANGOPAY_SECRET_ARN":      "arn:aws:secretsmanager:eu-west-1:123456789012:secret:mangopay-AbCdEf",
		"MANGOPAY_BASE_URL":        "https://api.sandbox.mangopay.com",
		"MANGOPAY_DEBUG":           "false",
		"EVENT_BUS_NAME":           "payments",
		"PAYOUT_OUTCOME_QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/123456789012/payout-outcomes",
		"SECRET_TTL":               "10m",
		"MAX_RECEIVE_COUNT":        "5",
	}
}

func getenv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestFromEnvReadsEverything(t *testing.T) {
	env, err := FromEnv(getenv(validEnv()))
	if err != nil {
		t.Fatal(err)
	}
	want := Env{
		TableName: "lambda-mangopay-records", PagesBucket: "lambda-mangopay-pages",
		SecretID:  "arn:aws:secretsmanager:eu-west-1:123456789012:secret:mangopay-AbCdEf",
		SecretTTL: 10 * time.Minute, MangopayBaseURL: "https://api.sandbox.mangopay.com",
		EventBusName: "payments", PayoutOutcomeQueueURL: "https://sqs.eu-west-1.amazonaws.com/123456789012/payout-outcomes",
		MaxReceiveCount: 5,
	}
	if env != want {
		t.Fatalf("got %+v\nwant %+v", env, want)
	}
}

func TestFromEnvDefaultsAndAlternatives(t *testing.T) {
	m := validEnv()
	delete(m, "MANGOPAY_SECRET_ARN")
	delete(m, "SECRET_TTL")
	delete(m, "MANGOPAY_DEBUG")
	delete(m, "EVENT_BUS_NAME")
	delete(m, "PAYOUT_OUTCOME_QUEUE_URL")
	m["MANGOPAY_SECRET_ID"] = "prod/mangopay"
	m["MANGOPAY_BASE_URL"] = "http://127.0.0.1:8089/"
	m["MANGOPAY_DEBUG"] = "1"
	// The local stack's hook route (internal/local): plain http to 127.0.0.1.
	m["HOOK_URL"] = "http://127.0.0.1:3000/hooks/" + strings.Repeat("t", 32)
	env, err := FromEnv(getenv(m))
	if err != nil {
		t.Fatal(err)
	}
	if env.HookURL != m["HOOK_URL"] {
		t.Fatalf("HOOK_URL %q", env.HookURL)
	}
	if env.SecretID != "prod/mangopay" || env.SecretTTL != DefaultSecretTTL || !env.MangopayDebug ||
		env.MangopayBaseURL != "http://127.0.0.1:8089" {
		t.Fatalf("got %+v", env)
	}
}

func TestFromEnvNamesEachProblem(t *testing.T) {
	for _, c := range []struct {
		name  string
		set   map[string]string
		unset []string
		want  []string // variable names the error must mention
	}{
		{name: "nothing set", unset: []string{"TABLE_NAME", "PAGES_BUCKET", "MANGOPAY_SECRET_ARN", "MANGOPAY_BASE_URL"},
			want: []string{"TABLE_NAME", "PAGES_BUCKET", "MANGOPAY_SECRET_ARN", "MANGOPAY_BASE_URL"}},
		{name: "plain http", set: map[string]string{"MANGOPAY_BASE_URL": "http://api.mangopay.com"}, want: []string{"MANGOPAY_BASE_URL"}},
		{name: "version in URL", set: map[string]string{"MANGOPAY_BASE_URL": "https://api.mangopay.com/v2.01"}, want: []string{"MANGOPAY_BASE_URL"}},
		{name: "not a URL", set: map[string]string{"MANGOPAY_BASE_URL": "api.mangopay.com"}, want: []string{"MANGOPAY_BASE_URL"}},
		{name: "debug yes", set: map[string]string{"MANGOPAY_DEBUG": "yes please"}, want: []string{"MANGOPAY_DEBUG"}},
		{name: "ttl without unit", set: map[string]string{"SECRET_TTL": "300"}, want: []string{"SECRET_TTL"}},
		{name: "receive count not a number", set: map[string]string{"MAX_RECEIVE_COUNT": "five"}, want: []string{"MAX_RECEIVE_COUNT"}},
		{name: "receive count zero", set: map[string]string{"MAX_RECEIVE_COUNT": "0"}, want: []string{"MAX_RECEIVE_COUNT"}},
		{name: "ttl too long", set: map[string]string{"SECRET_TTL": "48h"}, want: []string{"SECRET_TTL"}},
		{name: "two secrets", set: map[string]string{"MANGOPAY_SECRET_ID": "other"}, want: []string{"MANGOPAY_SECRET_ID"}},
		{name: "not an ARN", set: map[string]string{"MANGOPAY_SECRET_ARN": "mangopay"}, want: []string{"MANGOPAY_SECRET_ARN"}},
		{name: "bucket name", set: map[string]string{"PAGES_BUCKET": "KYC_Pages"}, want: []string{"PAGES_BUCKET"}},
		{name: "queue URL", set: map[string]string{"PAYOUT_OUTCOME_QUEUE_URL": "payout-outcomes"}, want: []string{"PAYOUT_OUTCOME_QUEUE_URL"}},
		{name: "short hook token", set: map[string]string{"HOOK_TOKEN": "guessable"}, want: []string{"HOOK_TOKEN"}},
		{name: "hook URL without its token", set: map[string]string{"HOOK_URL": "https://api.example.com/hooks"}, want: []string{"HOOK_URL"}},
		{name: "plain http hook URL", set: map[string]string{"HOOK_URL": "http://api.example.com/hooks/" + strings.Repeat("a", 32)}, want: []string{"HOOK_URL"}},
		{name: "plain http hook URL to a loopback name", set: map[string]string{"HOOK_URL": "http://localhost:3000/hooks/" + strings.Repeat("a", 32)}, want: []string{"HOOK_URL"}},
		{name: "several at once", set: map[string]string{"SECRET_TTL": "soon", "MANGOPAY_DEBUG": "maybe"},
			unset: []string{"TABLE_NAME"}, want: []string{"TABLE_NAME", "SECRET_TTL", "MANGOPAY_DEBUG"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := validEnv()
			for k, v := range c.set {
				m[k] = v
			}
			for _, k := range c.unset {
				delete(m, k)
			}
			_, err := FromEnv(getenv(m))
			var envErr *EnvError
			if !errors.As(err, &envErr) {
				t.Fatalf("got %v, want an *EnvError", err)
			}
			var named []string
			for _, p := range envErr.Problems {
				named = append(named, p.Name)
			}
			if strings.Join(named, ",") != strings.Join(c.want, ",") {
				t.Fatalf("problems with %v, want %v: %v", named, c.want, err)
			}
			for _, n := range c.want {
				if !strings.Contains(err.Error(), n) {
					t.Fatalf("message does not name %s: %v", n, err)
				}
			}
			if strings.Contains(err.Error(), "guessable") {
				t.Fatalf("the error shows a secret value: %v", err)
			}
		})
	}
}

// TestTemplateProvidesTheEnvironment checks that the variables template.yaml
// gives every function are enough for FromEnv: a function deployed from
// the template starts.
func TestTemplateProvidesTheEnvironment(t *testing.T) {
	b, err := os.ReadFile("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		t.Fatal(err)
	}
	var tpl struct {
		Globals struct {
			Function struct {
				Environment struct {
					Variables map[string]yaml.Node `yaml:"Variables"`
				} `yaml:"Environment"`
			} `yaml:"Function"`
		} `yaml:"Globals"`
	}
	if err := root.Decode(&tpl); err != nil {
		t.Fatal(err)
	}
	sample := validEnv()
	provided := map[string]string{}
	for name := range tpl.Globals.Function.Environment.Variables {
		v, known := sample[name]
		if !known {
			t.Errorf("template.yaml sets %s, which FromEnv does not read", name)
		}
		provided[name] = v
	}
	if _, err := FromEnv(getenv(provided)); err != nil {
		t.Fatalf("with only the template's variables: %v", err)
	}
}
