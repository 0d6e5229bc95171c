package awstest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// InstallHint is the error printed when moto_server cannot be found.
const InstallHint = "moto_server not found: install it with `pip install 'moto[server]'` (see README)"

// Region is the region every configuration built here uses.
const Region = "eu-west-1"

const (
	startAttempts = 3
	readyTimeout  = 20 * time.Second
	readyPoll     = 20 * time.Millisecond
	logTailBytes  = 8 << 10
)

var (
	endpointMu sync.RWMutex
	endpoint   string
)

// Main starts moto_server, runs the tests of m and stops the server. Call it
// from TestMain: `func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }`.
// It also points the default AWS environment variables at the server, so
// code that loads the default SDK configuration talks to moto and never to
// AWS. It returns the exit code of m.Run, or 1 if the server did not start.
func Main(m *testing.M) int {
	bin, err := findMotoServer()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	srv, err := startServer(bin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "awstest:", err)
		return 1
	}
	defer srv.stop()
	setEndpoint(srv.url)
	setDefaultEnv(srv.url)
	return m.Run()
}

// Endpoint returns the base URL of the running moto_server, e.g.
// http://127.0.0.1:41234, or "" when Main has not started one.
func Endpoint() string {
	endpointMu.RLock()
	defer endpointMu.RUnlock()
	return endpoint
}

func setEndpoint(u string) {
	endpointMu.Lock()
	endpoint = u
	endpointMu.Unlock()
}

// setDefaultEnv makes LoadDefaultConfig-based code use the server with
// dummy credentials, whatever the developer's shell exports.
func setDefaultEnv(url string) {
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL":          url,
		"AWS_ACCESS_KEY_ID":         "testing",
		"AWS_SECRET_ACCESS_KEY":     "testing",
		"AWS_REGION":                Region,
		"AWS_EC2_METADATA_DISABLED": "true",
	} {
		os.Setenv(k, v)
	}
	for _, k := range []string{"AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CA_BUNDLE"} {
		os.Unsetenv(k)
	}
}

// findMotoServer returns the moto_server executable: $MOTO_SERVER, or the
// one on PATH, resolved through pyenv when PATH holds a pyenv shim.
func findMotoServer() (string, error) {
	if p := os.Getenv("MOTO_SERVER"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("MOTO_SERVER=%s: %w; %s", p, err, InstallHint)
		}
		return p, nil
	}
	p, err := exec.LookPath("moto_server")
	if err != nil {
		return "", errors.New(InstallHint)
	}
	if strings.Contains(filepath.ToSlash(p), "/shims/") {
		if real := pyenvWhich(); real != "" {
			return real, nil
		}
	}
	return p, nil
}

// pyenvWhich asks pyenv for the executable behind its shim; "" if it cannot.
func pyenvWhich() string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "pyenv", "which", "moto_server").Output()
	if err != nil {
		return ""
	}
	p := strings.TrimSpace(string(out))
	if st, err := os.Stat(p); err != nil || st.IsDir() {
		return ""
	}
	return p
}

// server is a running moto_server process.
type server struct {
	cmd    *exec.Cmd
	url    string
	exited chan struct{}
	log    *tailBuffer
}

// startServer starts moto_server on a free port, retrying on another port
// if the first one was taken in the meantime.
func startServer(bin string) (*server, error) {
	var lastErr error
	for range startAttempts {
		srv, err := tryStart(bin)
		if err == nil {
			return srv, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func tryStart(bin string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	srv := &server{
		url:    "http://127.0.0.1:" + strconv.Itoa(port),
		exited: make(chan struct{}),
		log:    &tailBuffer{max: logTailBytes},
	}
	srv.cmd = exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	srv.cmd.Stdout, srv.cmd.Stderr = srv.log, srv.log
	srv.cmd.SysProcAttr = sysProcAttr()
	if err := srv.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() { _ = srv.cmd.Wait(); close(srv.exited) }()
	if err := srv.waitReady(); err != nil {
		srv.stop()
		return nil, fmt.Errorf("%w\nmoto_server output (tail):\n%s", err, srv.log.String())
	}
	return srv, nil
}

// freePort asks the kernel for a free port on 127.0.0.1. moto_server has no
// port-0 mode, so the port is released and handed over; startServer
// retries if someone else takes it first.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitReady polls GET /moto-api/ until it answers, the process exits or
// the deadline passes.
func (s *server) waitReady() error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.NewTimer(readyTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(readyPoll)
	defer tick.Stop()
	for {
		if s.answers(client) {
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("moto_server exited before answering on %s", s.url)
		case <-deadline.C:
			return fmt.Errorf("moto_server did not answer on %s within %s", s.url, readyTimeout)
		case <-tick.C:
		}
	}
}

func (s *server) answers(c *http.Client) bool {
	resp, err := c.Get(s.url + "/moto-api/")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode < 500
}

// stop kills the server process started here and waits for it to exit.
func (s *server) stop() {
	if s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	select {
	case <-s.exited:
	case <-time.After(5 * time.Second):
	}
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

// Write keeps p, dropping the oldest bytes beyond max.
func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

// String returns the bytes kept.
func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

// Server is a moto_server process started by StartServer, for programs
// (the local stack) rather than test binaries.
type Server struct {
	// URL is the server's base URL, e.g. http://127.0.0.1:41234.
	URL string
	s   *server
}

// StartServer finds moto_server (MOTO_SERVER, PATH, pyenv) and starts it
// on a free 127.0.0.1 port, returning once it answers. The process dies
// with its parent on Linux; Stop ends it.
func StartServer() (*Server, error) {
	bin, err := findMotoServer()
	if err != nil {
		return nil, err
	}
	s, err := startServer(bin)
	if err != nil {
		return nil, fmt.Errorf("awstest: %w", err)
	}
	return &Server{URL: s.url, s: s}, nil
}

// Pid is the server's process id (to read its memory use, for one).
func (s *Server) Pid() int { return s.s.cmd.Process.Pid }

// Stop kills the server and waits for it to exit.
func (s *Server) Stop() { s.s.stop() }
