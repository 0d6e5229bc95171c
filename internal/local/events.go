package local

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambda-mangopay/lambda-mangopay/internal/operations"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// placeholder is {{NAME}} in an events/ file (see events/README.md).
var placeholder = regexp.MustCompile(`\{\{([A-Z0-9_]+)\}\}`)

// Placeholders lists the placeholders of an event, sorted.
func Placeholders(raw []byte) []string {
	seen := map[string]bool{}
	for _, m := range placeholder.FindAllSubmatch(raw, -1) {
		seen[string(m[1])] = true
	}
	var out []string
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Filler fills the placeholders of events/ files with records it makes
// on a running stack (with the fake Mangopay), as internal/deploy's
// events test does: mostly by invoking the documented sample events
// through the functions' binaries.
type Filler struct {
	S *Stack
	// Values are the placeholders' values, given or made.
	Values map[string]string
	seq    int
}

// NewFiller returns a filler for s, with the values given.
func NewFiller(s *Stack, given map[string]string) *Filler {
	f := &Filler{S: s, Values: map[string]string{"PAGES_BUCKET": s.BucketName, "HOOK_TOKEN": s.HookToken}}
	for k, v := range given {
		f.Values[k] = v
	}
	return f
}

// EventFile is the path of an events/ file.
func (f *Filler) EventFile(name string) string { return filepath.Join(f.S.root, "events", name) }

// Load reads an event file and fills its placeholders (overrides first);
// fresh gives it a new idempotency key and message ids, to make another
// record from the same sample.
func (f *Filler) Load(ctx context.Context, file string, overrides map[string]string, fresh bool) ([]byte, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var firstErr error
	raw = placeholder.ReplaceAllFunc(raw, func(m []byte) []byte {
		name := string(m[2 : len(m)-2])
		v, ok := overrides[name]
		if !ok {
			if v, err = f.Value(ctx, name); err != nil && firstErr == nil {
				firstErr = err
			}
		}
		b, _ := json.Marshal(v)
		return b[1 : len(b)-1]
	})
	if firstErr != nil || !fresh {
		return raw, firstErr
	}
	f.seq++
	key := fmt.Sprintf("local-%s-%s-%d", strings.TrimSuffix(filepath.Base(file), ".json"), randomToken()[:6], f.seq)
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, err
	}
	if h, ok := ev["headers"].(map[string]any); ok {
		for k := range h {
			if strings.EqualFold(k, "idempotency-key") {
				delete(h, k)
			}
		}
		h["idempotency-key"] = key
	}
	if recs, ok := ev["Records"].([]any); ok {
		for _, m := range recs {
			if msg, ok := m.(map[string]any); ok {
				msg["messageId"] = key
				if attrs, ok := msg["messageAttributes"].(map[string]any); ok {
					if a, ok := attrs["Idempotency-Key"].(map[string]any); ok {
						a["stringValue"] = key
					}
				}
			}
		}
	}
	return json.Marshal(ev)
}

// Value returns a placeholder's value, making its record the first time.
func (f *Filler) Value(ctx context.Context, name string) (string, error) {
	if v, ok := f.Values[name]; ok {
		return v, nil
	}
	make, ok := producers[name]
	if !ok {
		return "", fmt.Errorf("placeholder {{%s}}: unknown here; give it with VARS='%s=...'", name, name)
	}
	if f.S.Fake == nil {
		return "", fmt.Errorf("placeholder {{%s}}: records are made only with the fake Mangopay; give it with VARS='%s=...'", name, name)
	}
	v, err := make(ctx, f)
	if err != nil {
		return "", fmt.Errorf("making {{%s}}: %w", name, err)
	}
	f.Values[name] = v
	return v, nil
}

// HTTPAnswer invokes a function on an API Gateway event and requires a 2xx.
func (f *Filler) HTTPAnswer(ctx context.Context, fn string, raw []byte) (events.APIGatewayV2HTTPResponse, error) {
	var resp events.APIGatewayV2HTTPResponse
	res, err := f.S.Invoke(ctx, fn, "event "+fn, raw)
	if err != nil {
		return resp, err
	}
	if res.Err != nil {
		return resp, res.Err
	}
	if err := json.Unmarshal(res.Payload, &resp); err != nil {
		return resp, fmt.Errorf("%s answered %s: %w", fn, truncate(string(res.Payload), 200), err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp, fmt.Errorf("%s answered %d: %s", fn, resp.StatusCode, truncate(resp.Body, 300))
	}
	return resp, nil
}

// call invokes an events/ file of the function it is named after and
// returns the answer's body.
func (f *Filler) call(ctx context.Context, file string, overrides map[string]string, fresh bool) ([]byte, error) {
	raw, err := f.Load(ctx, f.EventFile(file), overrides, fresh)
	if err != nil {
		return nil, err
	}
	fn := f.S.FunctionOf(file)
	resp, err := f.HTTPAnswer(ctx, fn, raw)
	return []byte(resp.Body), err
}

// id calls an event and returns the answer's "id".
func (f *Filler) id(ctx context.Context, file string, overrides map[string]string, fresh bool) (string, error) {
	body, err := f.call(ctx, file, overrides, fresh)
	if err != nil {
		return "", err
	}
	var v struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &v); err != nil || v.ID == "" {
		return "", fmt.Errorf("%s: no id in %s", file, truncate(string(body), 200))
	}
	return v.ID, nil
}

// FunctionOf is the function an events/ file belongs to: the longest
// function name its file name starts with, followed by "." or "-".
func (s *Stack) FunctionOf(file string) string {
	base, best := filepath.Base(file), ""
	for n := range s.Functions {
		if rest, ok := strings.CutPrefix(base, n); ok && (strings.HasPrefix(rest, ".") || strings.HasPrefix(rest, "-")) && len(n) > len(best) {
			best = n
		}
	}
	return best
}

// record reads a record from the table through the API's get route.
func (f *Filler) record(ctx context.Context, path string) (*records.Record, error) {
	return NewClient(f.S.APIURL, "filler").Record(ctx, path)
}

// producers make the record each placeholder stands for (events/README.md).
var producers map[string]func(ctx context.Context, f *Filler) (string, error)

func init() {
	id := func(file string, fresh bool) func(ctx context.Context, f *Filler) (string, error) {
		return func(ctx context.Context, f *Filler) (string, error) { return f.id(ctx, file, nil, fresh) }
	}
	producers = map[string]func(ctx context.Context, f *Filler) (string, error){
		"NATURAL_USER_ID": id("create-natural-user.json", true),
		"LEGAL_USER_ID":   id("create-legal-user.json", true),
		"BANK_ACCOUNT_ID": id("create-bank-account.json", true),
		"WALLET_ID":       id("create-wallet.json", true),
		// A wallet of another user (an OWNER: a PAYER may not receive transfers).
		"CREDITED_WALLET_ID": func(ctx context.Context, f *Filler) (string, error) {
			legal, err := f.Value(ctx, "LEGAL_USER_ID")
			if err != nil {
				return "", err
			}
			return f.id(ctx, "create-wallet.json", map[string]string{"NATURAL_USER_ID": legal}, true)
		},
		"CARD_REGISTRATION_ID": func(ctx context.Context, f *Filler) (string, error) {
			id, data, err := f.tokenizedRegistration(ctx)
			f.Values["REGISTRATION_DATA"] = data
			return id, err
		},
		"REGISTRATION_DATA": func(ctx context.Context, f *Filler) (string, error) {
			if _, err := f.Value(ctx, "CARD_REGISTRATION_ID"); err != nil {
				return "", err
			}
			return f.Values["REGISTRATION_DATA"], nil
		},
		"CARD_ID":            func(ctx context.Context, f *Filler) (string, error) { return f.card(ctx) },
		"DEACTIVATE_CARD_ID": func(ctx context.Context, f *Filler) (string, error) { return f.card(ctx) },
		// A SUCCEEDED card pay-in into {{WALLET_ID}}.
		"PAYIN_ID": id("create-card-payin.json", true),
		// A SUCCEEDED transfer out of {{WALLET_ID}}, funded by {{PAYIN_ID}}.
		"TRANSFER_ID": func(ctx context.Context, f *Filler) (string, error) {
			if _, err := f.Value(ctx, "PAYIN_ID"); err != nil {
				return "", err
			}
			return f.id(ctx, "create-transfer.json", nil, true)
		},
		"REFUND_ID":                  id("refund-payin.json", true),
		"PREAUTHORIZATION_ID":        id("create-preauthorization.json", true),
		"CANCEL_PREAUTHORIZATION_ID": id("create-preauthorization.json", true),
		// A funded wallet of {{NATURAL_USER_ID}}, whose user is made REGULAR at the fake.
		"PAYOUT_WALLET_ID": func(ctx context.Context, f *Filler) (string, error) {
			wallet, err := f.id(ctx, "create-wallet.json", nil, true)
			if err != nil {
				return "", err
			}
			if _, err := f.call(ctx, "create-card-payin.json", map[string]string{"WALLET_ID": wallet}, true); err != nil {
				return "", err
			}
			uid, err := f.Value(ctx, "NATURAL_USER_ID")
			if err != nil {
				return "", err
			}
			user, err := f.record(ctx, "/users/"+uid)
			if err != nil {
				return "", err
			}
			return wallet, f.S.Fake.SetKYCLevel(user.MangopayID, "REGULAR")
		},
		"PAYOUT_BANK_ACCOUNT_ID": id("create-bank-account.json", true),
		// Settled SUCCEEDED at the fake once created.
		"PAYOUT_ID": func(ctx context.Context, f *Filler) (string, error) {
			id, err := f.id(ctx, "create-payout.json", nil, true)
			if err != nil {
				return "", err
			}
			rec, err := f.record(ctx, "/payouts/"+id)
			if err != nil {
				return "", err
			}
			f.Values["PAYOUT_MANGOPAY_ID"] = rec.MangopayID
			return id, f.S.Fake.SettlePayout(rec.MangopayID, true, "000000")
		},
		"PAYOUT_MANGOPAY_ID": func(ctx context.Context, f *Filler) (string, error) {
			if _, err := f.Value(ctx, "PAYOUT_ID"); err != nil {
				return "", err
			}
			return f.Values["PAYOUT_MANGOPAY_ID"], nil
		},
		"DOCUMENT_ID": func(ctx context.Context, f *Filler) (string, error) {
			uid, err := f.Value(ctx, "NATURAL_USER_ID")
			if err != nil {
				return "", err
			}
			var r records.Record
			_, err = NewClient(f.S.APIURL, "filler-"+randomToken()[:6]).Do(ctx, http.MethodPost, "/users/"+uid+"/documents", map[string]any{"type": "ADDRESS_PROOF"}, &r)
			return r.ID, err
		},
		// An IDENTITY_PROOF (sandbox tag accept) with one page SENT.
		"SUBMITTABLE_DOCUMENT_ID": func(ctx context.Context, f *Filler) (string, error) {
			doc, err := f.id(ctx, "create-document.json", nil, true)
			if err != nil {
				return "", err
			}
			_, err = NewClient(f.S.APIURL, "filler-"+randomToken()[:6]).Do(ctx, http.MethodPost, "/documents/"+doc+"/pages",
				map[string]any{"file": PDF(40 << 10)}, nil)
			return doc, err
		},
		// A page AWAITING_UPLOAD whose bytes are then uploaded through the presigned PUT.
		"UPLOAD_PAGE_ID": func(ctx context.Context, f *Filler) (string, error) {
			body, err := f.call(ctx, "add-page-upload.json", nil, true)
			if err != nil {
				return "", err
			}
			var ans operations.PageUploadAnswer
			if err := json.Unmarshal(body, &ans); err != nil || ans.Page == nil || ans.Upload == nil {
				return "", fmt.Errorf("add-page-upload answered %s", truncate(string(body), 200))
			}
			c := NewClient(f.S.APIURL, "filler")
			return ans.Page.ID, c.Put(ctx, ans.Upload.Method, ans.Upload.URL, ans.Upload.Headers, PDF(int(ans.Upload.Size)))
		},
	}
}

// tokenizedRegistration makes a card registration of {{NATURAL_USER_ID}}
// and posts the sandbox card to its vault as a browser would.
func (f *Filler) tokenizedRegistration(ctx context.Context) (id, data string, err error) {
	body, err := f.call(ctx, "create-card-registration.json", nil, true)
	if err != nil {
		return "", "", err
	}
	var reg operations.CardRegistrationAnswer
	if err := json.Unmarshal(body, &reg); err != nil || reg.Record == nil {
		return "", "", fmt.Errorf("create-card-registration answered %s", truncate(string(body), 200))
	}
	status, data, err := NewClient(f.S.APIURL, "filler").PostForm(ctx, reg.CardRegistrationURL, url.Values{
		"data": {reg.PreregistrationData}, "accessKeyRef": {reg.AccessKey},
		"cardNumber": {"4970107111111119"}, "cardExpirationDate": {time.Now().AddDate(2, 0, 0).Format("0106")}, "cardCvx": {"123"}})
	if err != nil || !strings.HasPrefix(data, "data=") {
		return "", "", fmt.Errorf("card vault: %d %s %v", status, truncate(data, 100), err)
	}
	return reg.ID, data, nil
}

// card registers a card of {{NATURAL_USER_ID}} through the whole flow.
func (f *Filler) card(ctx context.Context) (string, error) {
	id, data, err := f.tokenizedRegistration(ctx)
	if err != nil {
		return "", err
	}
	return f.id(ctx, "complete-card-registration.json", map[string]string{"CARD_REGISTRATION_ID": id, "REGISTRATION_DATA": data}, true)
}
