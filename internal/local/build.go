package local

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// Root finds the repository root (the directory holding go.mod and
// template.yaml) from dir upwards.
func Root(dir string) (string, error) {
	d, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "template.yaml")); err == nil {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				return d, nil
			}
		}
		up := filepath.Dir(d)
		if up == d {
			return "", fmt.Errorf("no template.yaml and go.mod in %s or above", dir)
		}
		d = up
	}
}

// BinDir is where Build writes the bootstraps: build/local/bin/<name>.
func BinDir(root string) string { return filepath.Join(root, "build", "local", "bin") }

// Build builds the bootstraps of the named functions (functions/<name>)
// for this machine, as Lambda's are built (linux, CGO off, lambda.norpc,
// trimmed and stripped), with one go build, into BinDir. Cached builds
// take about a second.
func Build(ctx context.Context, root string, names []string) error {
	if len(names) == 0 {
		return nil
	}
	if runtime.GOOS != "linux" {
		return fmt.Errorf("the local stack runs the functions' linux binaries: run it on linux")
	}
	out := BinDir(root)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	args := []string{"build", "-tags", "lambda.norpc", "-trimpath", "-ldflags", "-s -w", "-o", out + string(filepath.Separator)}
	for _, n := range names {
		args = append(args, "./functions/"+n)
	}
	cmd := exec.CommandContext(ctx, goCommand(), args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+runtime.GOARCH, "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", strings.Join(names, " "), err, b)
	}
	return nil
}

// goCommand is $GO, or go from GOROOT, or go on PATH.
func goCommand() string {
	if g := os.Getenv("GO"); g != "" {
		return g
	}
	if p := filepath.Join(runtime.GOROOT(), "bin", "go"); fileExists(p) {
		return p
	}
	return "go"
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }
