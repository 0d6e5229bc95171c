// Package chaos is the reliability suite: in-process scenarios on the
// local stack (moto and the fake Mangopay) that deliver SQS messages
// several times and out of order, kill invocations at chosen points, make
// Mangopay and AWS fail, and then check that nothing was lost or done
// twice. The scenarios are its tests; this file holds what they share
// with `make chaos`: their size (short in `make test`, long with
// CHAOS_LONG=1), the figures each writes as a markdown fragment into
// CHAOS_REPORT_DIR, and the assembly of those fragments into
// RELIABILITY.md (cmd/reliability-report).
package chaos

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Environment variables of the suite.
const (
	// LongVar set to 1 runs the full numbers (make chaos).
	LongVar = "CHAOS_LONG"
	// ReportDirVar names the directory each scenario writes its
	// fragment to (NN-name.md); unset, nothing is written.
	ReportDirVar = "CHAOS_REPORT_DIR"
)

// Long reports whether the long form was asked for (getenv is os.Getenv).
func Long(getenv func(string) string) bool { return getenv(LongVar) == "1" }

// Size picks the short or the long figure.
func Size(getenv func(string) string, short, long int) int {
	if Long(getenv) {
		return long
	}
	return short
}

// Fragment is one scenario's section of RELIABILITY.md.
type Fragment struct {
	// Title is the section's heading.
	Title string
	// Summary says what the scenario does, in a paragraph.
	Summary string
	// Figures are (what, value) rows of the measured figures.
	Figures [][2]string
	// Held are the assertions that held.
	Held []string
	// Notes are findings, defects fixed and limits.
	Notes []string
}

// Add appends a figure row.
func (f *Fragment) Add(what string, value any) {
	f.Figures = append(f.Figures, [2]string{what, fmt.Sprint(value)})
}

// Markdown renders the fragment.
func (f *Fragment) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "## %s\n\n", f.Title)
	if f.Summary != "" {
		fmt.Fprintf(&b, "%s\n\n", f.Summary)
	}
	if len(f.Figures) > 0 {
		b.WriteString("| Figure | Value |\n|---|---|\n")
		for _, r := range f.Figures {
			fmt.Fprintf(&b, "| %s | %s |\n", cell(r[0]), cell(r[1]))
		}
		b.WriteString("\n")
	}
	if len(f.Held) > 0 {
		b.WriteString("Assertions that held:\n\n")
		for _, h := range f.Held {
			fmt.Fprintf(&b, "- %s\n", h)
		}
		b.WriteString("\n")
	}
	if len(f.Notes) > 0 {
		b.WriteString("Notes:\n\n")
		for _, n := range f.Notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func cell(s string) string { return strings.ReplaceAll(s, "|", "\\|") }

// WriteFragment writes f as dir/name.md (name like "10-duplicates"). An
// empty dir writes nothing.
func WriteFragment(dir, name string, f *Fragment) error {
	if dir == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("chaos: report dir: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".md"), []byte(f.Markdown()), 0o644); err != nil {
		return fmt.Errorf("chaos: writing fragment %s: %w", name, err)
	}
	return nil
}

// Machine describes where the figures were measured.
type Machine struct {
	CPU   string
	Cores int
	Go    string
	OS    string
	Date  time.Time
}

// ThisMachine reads the CPU model from /proc/cpuinfo (when there is one).
func ThisMachine(now time.Time) Machine {
	m := Machine{CPU: "unknown", Cores: runtime.NumCPU(), Go: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH, Date: now.UTC()}
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return m
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			m.CPU = strings.TrimSpace(v)
			break
		}
	}
	return m
}

// Assemble writes RELIABILITY.md: a header (what it is, how to reproduce
// it, the machine) and then every *.md fragment of dir in name order.
func Assemble(w io.Writer, dir string, m Machine) error {
	names, err := filepath.Glob(filepath.Join(dir, "*.md"))
	if err != nil {
		return fmt.Errorf("chaos: listing fragments: %w", err)
	}
	if len(names) == 0 {
		return fmt.Errorf("chaos: no fragments in %s: run the suite with %s set", dir, ReportDirVar)
	}
	slices.Sort(names)
	fmt.Fprintf(w, `# Reliability

What lambda-mangopay survives, measured by the reliability suite (internal/chaos and the
fuzz and security tests): every scenario below runs in-process on the local stack (moto_server
for DynamoDB, S3, SQS, EventBridge and Secrets Manager; the fake Mangopay over real HTTP on
127.0.0.1), through the handlers exactly as the functions' mains build them.

Reproduce with `+"`make chaos`"+` (the long form, which rewrites this file); `+"`make test`"+` runs
the same scenarios in a short form.

Machine: %s, %d cores, %s, %s; run on %s.

`, m.CPU, m.Cores, m.Go, m.OS, m.Date.Format("2006-01-02 15:04 MST"))
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			return fmt.Errorf("chaos: reading %s: %w", n, err)
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}
