package local

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// Client calls the local HTTP API as a marketplace backend would.
type Client struct {
	// Base is the API's URL.
	Base string
	// HTTP is the client used (loopback only; redirects are not followed).
	HTTP *http.Client
	// Prefix starts every Idempotency-Key this client sends.
	Prefix string
	seq    int
}

// NewClient returns a client of the API at base.
func NewClient(base, prefix string) *Client {
	return &Client{Base: base, Prefix: prefix, HTTP: &http.Client{Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// APIError is an answer with an unexpected status.
type APIError struct {
	Method, Path string
	Status       int
	Body         string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.Status, truncate(e.Body, 300))
}

// Do sends a request (a JSON body unless nil; POST, PUT and DELETE carry
// a fresh Idempotency-Key) and decodes a 2xx answer into out.
func (c *Client) Do(ctx context.Context, method, path string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, rd)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if method != http.MethodGet {
		c.seq++
		req.Header.Set("Idempotency-Key", fmt.Sprintf("%s-%d", c.Prefix, c.seq))
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, &APIError{Method: method, Path: path, Status: resp.StatusCode, Body: string(raw)}
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: decoding %s: %w", method, path, truncate(string(raw), 200), err)
		}
	}
	return resp.StatusCode, nil
}

// Record reads a record (GET path) into a records.Record.
func (c *Client) Record(ctx context.Context, path string) (*records.Record, error) {
	var r records.Record
	_, err := c.Do(ctx, http.MethodGet, path, nil, &r)
	return &r, err
}

// PostForm posts a form to a URL (the card vault, the 3-D Secure page) as
// a browser would; only loopback URLs are allowed.
func (c *Client) PostForm(ctx context.Context, target string, form url.Values) (int, string, error) {
	u, err := url.Parse(target)
	if err != nil || u.Hostname() != "127.0.0.1" {
		return 0, "", fmt.Errorf("refusing to call %q: the local stack calls 127.0.0.1 only", target)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

// Put sends bytes with headers (a presigned upload); loopback only.
func (c *Client) Put(ctx context.Context, method, target string, headers map[string]string, body []byte) error {
	u, err := url.Parse(target)
	if err != nil || u.Hostname() != "127.0.0.1" {
		return fmt.Errorf("refusing to upload to %q: the local stack calls 127.0.0.1 only", target)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	if err != nil {
		return err
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	req.ContentLength = int64(len(body))
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("upload: %d %s", resp.StatusCode, truncate(string(msg), 200))
	}
	return nil
}

// PDF is a small valid one-page PDF of about size bytes (a generated KYC
// page).
func PDF(size int) []byte {
	head := "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n" +
		"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj\n"
	tail := "trailer << /Root 1 0 R >>\n%%EOF\n"
	pad := size - len(head) - len(tail)
	if pad < 0 {
		pad = 0
	}
	return []byte(head + strings.Repeat("% generated page for the local demo\n", pad/36+1)[:pad] + tail)
}
