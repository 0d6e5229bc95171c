package deploy

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestEverythingAtRestIsEncrypted: the records table has server-side
// encryption on, and every SQS queue of the template (function queues,
// dead-letter queues, the hook queue, whatever is added later) is
// encrypted. TestQueues checks the function queues and their DLQs; this
// covers every AWS::SQS::Queue and the table.
func TestEverythingAtRestIsEncrypted(t *testing.T) {
	tp := template(t)
	tables, queues := 0, 0
	for id, r := range tp.Resources {
		switch r.Type {
		case "AWS::DynamoDB::Table":
			tables++
			if Map(r.Properties["SSESpecification"])["SSEEnabled"] != true {
				t.Errorf("%s: SSESpecification.SSEEnabled is not true", id)
			}
		case "AWS::SQS::Queue":
			queues++
			checkSSE(t, id, r.Properties)
		}
	}
	if tables != 1 || queues == 0 {
		t.Fatalf("%d tables and %d queues in template.yaml", tables, queues)
	}
	writeSecurityReport(t, tp, queues)
}

// writeSecurityReport writes 60-security.md into CHAOS_REPORT_DIR: what
// the deployment tests of this package prove, with the template's counts.
func writeSecurityReport(t *testing.T, tp *Template, queues int) {
	dir := os.Getenv("CHAOS_REPORT_DIR")
	if dir == "" {
		return
	}
	_, body := definitionBody(t)
	routes := 0
	for r := range operationsIn(Map(body["paths"])) {
		if r != hookRoute {
			routes++
		}
	}
	functions := tp.Functions()
	var names []string
	for _, f := range functions {
		names = append(names, f.Folder)
	}
	sort.Strings(names)
	var b strings.Builder
	fmt.Fprintf(&b, "## Security\n\n")
	fmt.Fprintf(&b, "What the tests prove, each a test that fails when the property breaks (`make test` runs them all):\n\n")
	fmt.Fprintf(&b, "### template.yaml (internal/deploy)\n\n")
	fmt.Fprintf(&b, "- `TestEveryRouteRequiresAuthorization`: all %d routes but the hook route require the authorizer, "+
		"for both values of AuthMode: SigV4 (IAM, the default) or a JWT with scopes (write scope for writes, read or write for GETs). "+
		"`GET /hooks/{token}` has none (Mangopay cannot sign) and is guarded by its secret token (`TestHookDeployment`: a NoEcho parameter).\n", routes)
	fmt.Fprintf(&b, "- `TestPoliciesAreLeastPrivilege`: each of the %d functions has its own role whose statements name only "+
		"allowed actions on its own resources (its log group, its queue and DLQ, the table and the indexes it queries, the secret, "+
		"the bucket prefixes of the page functions), exactly the set its code needs; `TestEvents` checks every AWS call each function "+
		"makes on its sample events is granted by that role.\n", len(functions))
	fmt.Fprintf(&b, "- `TestPagesBucket`: the pages bucket blocks public access (all four settings), is encrypted and versioned, and its "+
		"policy denies every request without TLS (`aws:SecureTransport` false).\n")
	fmt.Fprintf(&b, "- `TestEverythingAtRestIsEncrypted`, `TestQueues`: the records table has SSE on; all %d SQS queues are encrypted.\n\n", queues)
	fmt.Fprintf(&b, "### Secrets in answers and logs (internal/deploy, internal/leakcheck)\n\n")
	fmt.Fprintf(&b, "- `TestEvents` calls every function (%d) through its real handler with each of its events/ samples, on moto and the "+
		"fake Mangopay with `MANGOPAY_DEBUG=true` (every Mangopay exchange logged) at debug level. No answer (body or headers) holds "+
		"the Mangopay API key, a bearer token the fake issued or the hook token; `leakcheck.Scan` finds none of them, nor a card number "+
		"(Luhn), a CVV value, a full IBAN (mod 97), bearer or basic credentials, or page bytes (PDF/PNG/JPEG magic, raw or base64), "+
		"in the logs.\n\n", len(functions))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "60-security.md"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}
