package bench

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay/mangopaytest"
)

// Fixture makes the records the sample events (events/*.json) name by
// placeholder, by running the samples themselves through the functions,
// as internal/deploy's events test does (see events/README.md).
type Fixture struct {
	// Root is the repository's root (events/ lives there).
	Root string
	// Call runs an event through a function and returns its answer; it
	// fails on anything but success (see Check).
	Call func(ctx context.Context, folder string, event []byte) ([]byte, error)
	// Fake is the fake Mangopay the functions use (for its controls).
	Fake *mangopaytest.Server
	// Bucket is the pages bucket ({{PAGES_BUCKET}}).
	Bucket string
	values map[string]string
	seq    int
}

var placeholder = regexp.MustCompile(`\{\{([A-Z0-9_]+)\}\}`)

// Event returns a function's sample event with its placeholders filled,
// a fresh idempotency key and message id (so that a create does its work
// again), and the placeholders named in renew made anew (so that, e.g., a
// card is there to deactivate each time).
func (f *Fixture) Event(ctx context.Context, file string, renew ...string) ([]byte, error) {
	for _, n := range renew {
		delete(f.values, n)
	}
	return f.load(ctx, file, nil, true)
}

func (f *Fixture) value(ctx context.Context, name string) (string, error) {
	if f.values == nil {
		f.values = map[string]string{"PAGES_BUCKET": f.Bucket, "HOOK_TOKEN": strings.Repeat("0123456789abcdef", 4)}
	}
	if v, ok := f.values[name]; ok {
		return v, nil
	}
	make, ok := producers[name]
	if !ok {
		return "", fmt.Errorf("bench: placeholder {{%s}} has no producer", name)
	}
	v, err := make(ctx, f)
	if err != nil {
		return "", fmt.Errorf("bench: making {{%s}}: %w", name, err)
	}
	f.values[name] = v
	return v, nil
}

func (f *Fixture) load(ctx context.Context, file string, overrides map[string]string, fresh bool) ([]byte, error) {
	raw, err := os.ReadFile(filepath.Join(f.Root, "events", file))
	if err != nil {
		return nil, err
	}
	var fail error
	raw = placeholder.ReplaceAllFunc(raw, func(m []byte) []byte {
		name := string(m[2 : len(m)-2])
		v, ok := overrides[name]
		if !ok {
			var err error
			if v, err = f.value(ctx, name); err != nil && fail == nil {
				fail = err
			}
		}
		b, _ := json.Marshal(v)
		return b[1 : len(b)-1]
	})
	if fail != nil || !fresh {
		return raw, fail
	}
	f.seq++
	key := fmt.Sprintf("bench-%s-%d-%d", strings.TrimSuffix(file, ".json"), time.Now().UnixNano(), f.seq)
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, fmt.Errorf("bench: %s: %w", file, err)
	}
	if h, ok := ev["headers"].(map[string]any); ok {
		for k := range h {
			if strings.EqualFold(k, "idempotency-key") {
				delete(h, k)
				h["idempotency-key"] = key
			}
		}
	}
	recs, _ := ev["Records"].([]any)
	for _, m := range recs {
		msg, _ := m.(map[string]any)
		if _, ok := msg["messageId"]; ok {
			msg["messageId"] = key
		}
		attrs, _ := msg["messageAttributes"].(map[string]any)
		if a, ok := attrs["Idempotency-Key"].(map[string]any); ok {
			a["stringValue"] = key
		}
	}
	return json.Marshal(ev)
}

// call runs an HTTP sample and returns the answer's body.
func (f *Fixture) call(ctx context.Context, file string, overrides map[string]string, fresh bool) ([]byte, error) {
	raw, err := f.load(ctx, file, overrides, fresh)
	if err != nil {
		return nil, err
	}
	return f.callRaw(ctx, FolderOf(file), raw)
}

func (f *Fixture) callRaw(ctx context.Context, folder string, raw []byte) ([]byte, error) {
	out, err := f.Call(ctx, folder, raw)
	if err != nil {
		return nil, err
	}
	var resp struct {
		Body string `json:"body"`
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		return nil, err
	}
	return []byte(resp.Body), nil
}

// request runs a sample with another body (and placeholders overridden).
func (f *Fixture) request(ctx context.Context, file string, overrides map[string]string, body any) ([]byte, error) {
	raw, err := f.load(ctx, file, overrides, true)
	if err != nil {
		return nil, err
	}
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, err
	}
	b, _ := json.Marshal(body)
	ev["body"] = string(b)
	raw, _ = json.Marshal(ev)
	return f.callRaw(ctx, FolderOf(file), raw)
}

func field(body []byte, name string) (string, error) {
	var v map[string]any
	if err := json.Unmarshal(body, &v); err != nil {
		return "", fmt.Errorf("bench: answer %s: %w", clip(body), err)
	}
	s, _ := v[name].(string)
	if s == "" {
		return "", fmt.Errorf("bench: no %q in %s", name, clip(body))
	}
	return s, nil
}

func id(body []byte, err error) (string, error) {
	if err != nil {
		return "", err
	}
	return field(body, "id")
}

// FolderOf is the function folder of an event file: create-payout-sqs.json
// is create-payout's.
func FolderOf(file string) string {
	name := strings.TrimSuffix(filepath.Base(file), ".json")
	for _, suffix := range []string{"-sqs", "-s3", "-async", "-refresh", "-legal", "-upload"} {
		name = strings.TrimSuffix(name, suffix)
	}
	return name
}

// httpStatus is an API Gateway answer's statusCode, or 0 if payload is
// not one.
func httpStatus(payload []byte) int {
	var v struct {
		StatusCode int `json:"statusCode"`
	}
	_ = json.Unmarshal(payload, &v)
	return v.StatusCode
}

var producers map[string]func(ctx context.Context, f *Fixture) (string, error)

func init() {
	producers = map[string]func(ctx context.Context, f *Fixture) (string, error){
		"NATURAL_USER_ID": func(ctx context.Context, f *Fixture) (string, error) {
			return id(f.call(ctx, "create-natural-user.json", nil, true))
		},
		"LEGAL_USER_ID": func(ctx context.Context, f *Fixture) (string, error) {
			return id(f.call(ctx, "create-legal-user.json", nil, true))
		},
		"BANK_ACCOUNT_ID": func(ctx context.Context, f *Fixture) (string, error) {
			return id(f.call(ctx, "create-bank-account.json", nil, true))
		},
		"WALLET_ID": func(ctx context.Context, f *Fixture) (string, error) {
			return id(f.call(ctx, "create-wallet.json", nil, true))
		},
		"CREDITED_WALLET_ID": func(ctx context.Context, f *Fixture) (string, error) {
			legal, err := f.value(ctx, "LEGAL_USER_ID")
			if err != nil {
				return "", err
			}
			return id(f.call(ctx, "create-wallet.json", map[string]string{"NATURAL_USER_ID": legal}, true))
		},
		"CARD_REGISTRATION_ID": func(ctx context.Context, f *Fixture) (string, error) {
			id, data, err := f.tokenizedRegistration(ctx)
			f.values["REGISTRATION_DATA"] = data
			return id, err
		},
		"REGISTRATION_DATA": func(ctx context.Context, f *Fixture) (string, error) {
			delete(f.values, "CARD_REGISTRATION_ID")
			if _, err := f.value(ctx, "CARD_REGISTRATION_ID"); err != nil {
				return "", err
			}
			return f.values["REGISTRATION_DATA"], nil
		},
		"CARD_ID":            func(ctx context.Context, f *Fixture) (string, error) { return f.card(ctx) },
		"DEACTIVATE_CARD_ID": func(ctx context.Context, f *Fixture) (string, error) { return f.card(ctx) },
		"PAYIN_ID": func(ctx context.Context, f *Fixture) (string, error) {
			return id(f.call(ctx, "create-card-payin.json", nil, true))
		},
		"TRANSFER_ID": func(ctx context.Context, f *Fixture) (string, error) {
			if _, err := f.call(ctx, "create-card-payin.json", nil, true); err != nil {
				return "", err
			}
			return id(f.call(ctx, "create-transfer.json", nil, true))
		},
		"REFUND_ID": func(ctx context.Context, f *Fixture) (string, error) {
			return id(f.call(ctx, "refund-payin.json", nil, true))
		},
		"PREAUTHORIZATION_ID": func(ctx context.Context, f *Fixture) (string, error) {
			return id(f.call(ctx, "create-preauthorization.json", nil, true))
		},
		"CANCEL_PREAUTHORIZATION_ID": func(ctx context.Context, f *Fixture) (string, error) {
			return id(f.call(ctx, "create-preauthorization.json", nil, true))
		},
		"PAYOUT_WALLET_ID": func(ctx context.Context, f *Fixture) (string, error) {
			wallet, err := id(f.call(ctx, "create-wallet.json", nil, true))
			if err != nil {
				return "", err
			}
			for range 3 { // 28500 credited: room for many payouts
				if _, err := f.call(ctx, "create-card-payin.json", map[string]string{"WALLET_ID": wallet}, true); err != nil {
					return "", err
				}
			}
			user, err := f.value(ctx, "NATURAL_USER_ID")
			if err != nil {
				return "", err
			}
			body, err := f.call(ctx, "get-user.json", map[string]string{"NATURAL_USER_ID": user}, false)
			if err != nil {
				return "", err
			}
			mp, err := field(body, "mangopay_id")
			if err != nil {
				return "", err
			}
			return wallet, f.Fake.SetKYCLevel(mp, "REGULAR")
		},
		"PAYOUT_BANK_ACCOUNT_ID": func(ctx context.Context, f *Fixture) (string, error) {
			return id(f.call(ctx, "create-bank-account.json", nil, true))
		},
		"PAYOUT_ID": func(ctx context.Context, f *Fixture) (string, error) {
			// A funded wallet of its own: create-payout's events drain theirs.
			delete(f.values, "PAYOUT_WALLET_ID")
			body, err := f.call(ctx, "create-payout.json", nil, true)
			if err != nil {
				return "", err
			}
			mp, err := field(body, "mangopay_id")
			if err != nil {
				return "", err
			}
			f.values["PAYOUT_MANGOPAY_ID"] = mp
			if err := f.Fake.SettlePayout(mp, true, "000000"); err != nil {
				return "", err
			}
			return field(body, "id")
		},
		"PAYOUT_MANGOPAY_ID": func(ctx context.Context, f *Fixture) (string, error) {
			if _, err := f.value(ctx, "PAYOUT_ID"); err != nil {
				return "", err
			}
			return f.values["PAYOUT_MANGOPAY_ID"], nil
		},
		"DOCUMENT_ID": func(ctx context.Context, f *Fixture) (string, error) {
			return id(f.request(ctx, "create-document.json", nil, map[string]any{"type": "ADDRESS_PROOF"}))
		},
		"SUBMITTABLE_DOCUMENT_ID": func(ctx context.Context, f *Fixture) (string, error) {
			doc, err := id(f.call(ctx, "create-document.json", nil, true))
			if err != nil {
				return "", err
			}
			_, err = f.request(ctx, "add-page.json", map[string]string{"DOCUMENT_ID": doc}, map[string]any{"file": pdf(40 << 10)})
			return doc, err
		},
		"UPLOAD_PAGE_ID": func(ctx context.Context, f *Fixture) (string, error) {
			body, err := f.call(ctx, "add-page-upload.json", nil, true)
			if err != nil {
				return "", err
			}
			var ans struct {
				Page struct {
					ID string `json:"id"`
				} `json:"page"`
				Upload struct {
					Method, URL string
					Headers     map[string]string
					Size        int
				} `json:"upload"`
			}
			if err := json.Unmarshal(body, &ans); err != nil || ans.Page.ID == "" {
				return "", fmt.Errorf("add-page-upload answered %s (%v)", clip(body), err)
			}
			data, _ := base64.StdEncoding.DecodeString(pdf(ans.Upload.Size))
			req, err := http.NewRequestWithContext(ctx, ans.Upload.Method, ans.Upload.URL, bytes.NewReader(data))
			if err != nil {
				return "", err
			}
			for k, v := range ans.Upload.Headers {
				req.Header.Set(k, v)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				return "", err
			}
			msg, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				return "", fmt.Errorf("presigned PUT: %d %s", res.StatusCode, clip(msg))
			}
			return ans.Page.ID, nil
		},
	}
}

// tokenizedRegistration makes a card registration and posts the sandbox
// card to its vault as a browser would.
func (f *Fixture) tokenizedRegistration(ctx context.Context) (id, data string, err error) {
	body, err := f.call(ctx, "create-card-registration.json", nil, true)
	if err != nil {
		return "", "", err
	}
	var reg struct {
		ID                  string `json:"id"`
		AccessKey           string `json:"access_key"`
		PreregistrationData string `json:"preregistration_data"`
		CardRegistrationURL string `json:"card_registration_url"`
	}
	if err := json.Unmarshal(body, &reg); err != nil || reg.ID == "" {
		return "", "", fmt.Errorf("create-card-registration answered %s (%v)", clip(body), err)
	}
	form := url.Values{"data": {reg.PreregistrationData}, "accessKeyRef": {reg.AccessKey},
		"cardNumber": {"4970107111111119"}, "cardExpirationDate": {time.Now().AddDate(2, 0, 0).Format("0106")}, "cardCvx": {"123"}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, reg.CardRegistrationURL, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", "", err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if !strings.HasPrefix(string(b), "data=") {
		return "", "", fmt.Errorf("card vault: %d %s", res.StatusCode, clip(b))
	}
	return reg.ID, string(b), nil
}

func (f *Fixture) card(ctx context.Context) (string, error) {
	reg, data, err := f.tokenizedRegistration(ctx)
	if err != nil {
		return "", err
	}
	return id(f.call(ctx, "complete-card-registration.json", map[string]string{"CARD_REGISTRATION_ID": reg, "REGISTRATION_DATA": data}, true))
}

// pdf is a file of size bytes that reads as a PDF, in base64.
func pdf(size int) string {
	b := bytes.Repeat([]byte{'%'}, size)
	copy(b, "%PDF-1.7\n")
	copy(b[size-6:], "%%EOF\n")
	return base64.StdEncoding.EncodeToString(b)
}
