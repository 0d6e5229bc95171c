package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/lambda-mangopay/lambda-mangopay/internal/lambdaruntime"
)

// LambdaFlags are the build flags of every bootstrap, as the Makefile's.
var LambdaFlags = []string{"-tags", "lambda.norpc", "-trimpath", "-ldflags", "-s -w"}

// Build builds every function of root/functions for goarch (linux, CGO
// off, LambdaFlags) into dir, one executable per folder name.
func Build(ctx context.Context, root, dir, goarch string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	args := append([]string{"build"}, LambdaFlags...)
	args = append(args, "-o", dir+string(os.PathSeparator), "./functions/...")
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+goarch, "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("bench: go build (%s): %w\n%s", goarch, err, out)
	}
	return nil
}

// BuildFunction builds one function (folder) for goarch, as Build does,
// into dir/folder.
func BuildFunction(ctx context.Context, root, dir, goarch, folder string) error {
	args := append([]string{"build"}, LambdaFlags...)
	args = append(args, "-o", filepath.Join(dir, folder), "./functions/"+folder)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+goarch, "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("bench: go build %s (%s): %w\n%s", folder, goarch, err, out)
	}
	return nil
}

// BuildCommand builds pkg for this machine into out.
func BuildCommand(ctx context.Context, root, out, pkg string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", out, pkg)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("bench: go build %s: %w\n%s", pkg, err, b)
	}
	return nil
}

// Binaries runs built bootstraps through the local Lambda Runtime API.
type Binaries struct {
	// Dir holds one bootstrap per function folder.
	Dir string
	// Env is a function's environment (see Stack.Env).
	Env func(folder string) []string
	// Output receives the functions' log lines (nil: discarded).
	Output io.Writer
	// Prepare, if set, runs before a binary is started (e.g. builds it).
	Prepare func(folder string) error
	warm    map[string]*lambdaruntime.Process
}

// Start cold-starts one execution environment of folder's binary.
func (b *Binaries) Start(folder string) (*lambdaruntime.Process, error) {
	if b.Prepare != nil {
		if err := b.Prepare(folder); err != nil {
			return nil, err
		}
	}
	return lambdaruntime.Start(lambdaruntime.Config{Name: folder, Binary: filepath.Join(b.Dir, folder),
		Env: b.Env(folder), Timeout: 2 * time.Minute, MemoryMB: 128, Output: b.Output})
}

// Invoke runs event through a warm environment of folder kept for the
// purpose (started on first use; Close ends them) and requires success:
// no function error, and for an HTTP answer a 2xx status.
func (b *Binaries) Invoke(ctx context.Context, folder string, event []byte) ([]byte, error) {
	if b.warm == nil {
		b.warm = map[string]*lambdaruntime.Process{}
	}
	p := b.warm[folder]
	if p == nil || !p.Alive() {
		var err error
		if p, err = b.Start(folder); err != nil {
			return nil, err
		}
		b.warm[folder] = p
	}
	res, err := p.Invoke(ctx, event)
	if err != nil {
		return nil, err
	}
	return res.Payload, Check(folder, res)
}

// Check tells whether an invocation did its normal work: no function
// error, a 2xx HTTP answer, no batch item failure, no re-check failure.
func Check(folder string, res lambdaruntime.Result) error {
	if res.Err != nil {
		return fmt.Errorf("%s: %w", folder, res.Err)
	}
	if st := httpStatus(res.Payload); st != 0 && (st < 200 || st > 299) {
		return fmt.Errorf("%s: HTTP %d: %s", folder, st, clip(res.Payload))
	}
	if strings.Contains(string(res.Payload), `"batchItemFailures":[{`) {
		return fmt.Errorf("%s: batch item failures: %s", folder, clip(res.Payload))
	}
	return nil
}

func clip(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

// Close ends the warm environments.
func (b *Binaries) Close() {
	for _, p := range b.warm {
		p.Close()
	}
	b.warm = nil
}

// PeakRSS is a process's peak resident set (VmHWM in /proc/<pid>/status),
// in bytes.
func PeakRSS(pid int) (int64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			if _, err := fmt.Sscanf(strings.TrimSpace(v), "%d kB", &kb); err != nil {
				return 0, fmt.Errorf("bench: VmHWM %q: %w", v, err)
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("bench: no VmHWM for pid %d", pid)
}
