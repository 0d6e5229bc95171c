package local

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// readmeBlock is the README's block of curl examples for `make run`: the
// ```sh block that sets API=.
func readmeBlock(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(stack.root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, block := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(string(b), -1) {
		if strings.HasPrefix(block[1], "API=http://127.0.0.1:3000\n") {
			return block[1]
		}
	}
	t.Fatal("README.md: no ```sh block starting with API=http://127.0.0.1:3000")
	return ""
}

// TestReadmeCurlExamples runs the README's curl examples, as written,
// against the stack and checks each `# prints: ...` ("..." matches
// anything) and that the repeated create answered the same record.
func TestReadmeCurlExamples(t *testing.T) {
	dumpOnFailure(t)
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the README's examples need %s: %v", tool, err)
		}
	}
	script := readmeBlock(t)
	script = strings.Replace(script, "API=http://127.0.0.1:3000", "API="+stack.APIURL, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", script)
	cmd.Env = append(os.Environ(), "NO_PROXY=127.0.0.1", "no_proxy=127.0.0.1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the README's examples failed: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var wants []string
	for _, l := range strings.Split(script, "\n") {
		if _, want, ok := strings.Cut(l, "# prints: "); ok {
			wants = append(wants, strings.TrimSpace(want))
		}
	}
	if len(wants) < 3 {
		t.Fatalf("only %d `# prints:` comments in the README's block", len(wants))
	}
	for _, want := range wants {
		re := regexp.MustCompile("^" + strings.ReplaceAll(regexp.QuoteMeta(want), regexp.QuoteMeta("..."), `\S+?`) + "$")
		found := false
		for _, l := range lines {
			found = found || re.MatchString(l)
		}
		if !found {
			t.Errorf("no output line like %q in:\n%s", want, out)
		}
	}
	var seller, again string
	for _, l := range lines {
		if v, ok := strings.CutPrefix(l, "seller "); ok {
			seller = v
		}
		if v, ok := strings.CutPrefix(l, "again "); ok {
			again = v
		}
	}
	if seller == "" || seller != again {
		t.Errorf("the repeated create answered %q, the first %q: want the same record", again, seller)
	}
}
