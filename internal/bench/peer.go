package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay/mangopaytest"
)

// Peer is one side of the peer comparison.
type Peer struct {
	Client     string  `json:"client"`
	Iterations int     `json:"iterations"`
	Calls      int     `json:"calls"`
	Seconds    float64 `json:"seconds"`
	PerSecond  float64 `json:"calls_per_second"`
	MaxRSS     int64   `json:"max_rss_bytes"`
	Error      string  `json:"error,omitempty"`
}

// MeasurePeers runs the peer.Run sequence n times through our client
// (bin: cmd/bench-peer built for this machine) and through the Node SDK
// (node tools/nodesdk/bench.js), each against a fake of its own on
// 127.0.0.1, and reads each process's peak RSS (VmHWM, reported by the process itself) and the
// API calls its fake answered.
func MeasurePeers(ctx context.Context, root, bin string, n int) []Peer {
	sides := []struct {
		name string
		cmd  func(base, id, key string) *exec.Cmd
	}{
		{"pkg/mangopay (Go)", func(base, id, key string) *exec.Cmd {
			return exec.CommandContext(ctx, bin, strings.Join([]string{base, id, key, strconv.Itoa(n)}, ","))
		}},
		{"mangopay2-nodejs-sdk (Node " + nodeVersion(ctx) + ")", func(base, id, key string) *exec.Cmd {
			return exec.CommandContext(ctx, "node", filepath.Join(root, "tools", "nodesdk", "bench.js"), base, id, key, strconv.Itoa(n))
		}},
	}
	var out []Peer
	for _, s := range sides {
		p := Peer{Client: s.name, Iterations: n}
		if err := runPeer(s.cmd, &p); err != nil {
			p.Error = err.Error()
		}
		out = append(out, p)
	}
	return out
}

func runPeer(mk func(base, id, key string) *exec.Cmd, p *Peer) error {
	fake, err := mangopaytest.Start("127.0.0.1:0")
	if err != nil {
		return err
	}
	defer fake.Close()
	cmd := mk(fake.URL, fake.ClientID, fake.APIKey)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err = cmd.Run()
	p.Seconds = time.Since(start).Seconds()
	if err != nil {
		return fmt.Errorf("%w: %s", err, clip(stderr.Bytes()))
	}
	var res struct {
		Seconds float64 `json:"seconds"`
		VmHWM   int64   `json:"vm_hwm_bytes"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		return fmt.Errorf("bench: peer answered %q: %w", clip(stdout.Bytes()), err)
	}
	if res.Seconds > 0 {
		p.Seconds = res.Seconds // the loop alone, without the process's start
	}
	// Each side reads its own VmHWM at the end: rusage's maxrss of a
	// child carries the parent's peak (shared until exec).
	p.MaxRSS = res.VmHWM
	p.Calls = len(fake.Requests())
	p.PerSecond = float64(p.Calls) / p.Seconds
	return nil
}

func nodeVersion(ctx context.Context) string {
	out, err := exec.CommandContext(ctx, "node", "--version").Output()
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(out))
}
