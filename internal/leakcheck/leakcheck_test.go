package leakcheck

import (
	"bytes"
	"encoding/base64"
	"log/slog"
	"strings"
	"testing"
)

// jsonLine logs one attribute through slog's JSON handler, as the
// functions do, so that the samples carry the encoder's escaping.
func jsonLine(key string, value any) []byte {
	var b bytes.Buffer
	slog.New(slog.NewJSONHandler(&b, nil)).Info("request", key, value)
	return b.Bytes()
}

const apiKey = "sk_test_0123456789abcdef0123456789abcdef"

var (
	pdf  = []byte("%PDF-1.7\n%%EOF\n")
	png  = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	jpeg = []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01")
)

func TestScanFindsLeaks(t *testing.T) {
	tests := []struct {
		name string
		logs []byte
		want string
	}{
		{"the API key", jsonLine("cause", "POST /oauth/token with "+apiKey), KindSecret},
		{"a Visa number", jsonLine("request", map[string]any{"CardNumber": "4970107111111119"}), KindCardNumber},
		{"a Mastercard number, spaced", jsonLine("note", "card 5105 1051 0510 5100 refused"), KindCardNumber},
		{"an Amex number as a JSON number", []byte(`{"pan":378282246310005}`), KindCardNumber},
		{"a CVX in JSON", jsonLine("request", map[string]any{"cardCvx": "123"}), KindCVV},
		{"a CVV as a number", []byte(`{"cvv":987}`), KindCVV},
		{"a CVX in a form body", jsonLine("body", "data=x&cardCvx=1234&cardNumber=x"), KindCVV},
		{"an IBAN", jsonLine("request", map[string]any{"IBAN": "FR7630004000031234567890143"}), KindIBAN},
		{"an IBAN in groups of four", jsonLine("error", "account GB33 BUKB 2020 1555 5555 55 refused"), KindIBAN},
		{"a bearer token", jsonLine("header", "Authorization: Bearer 9f86d081884c7d659a2feaa0c55ad015"), KindBearer},
		{"an OAuth answer", []byte(`{"response":{"access_token":"9f86d081884c7d65","token_type":"bearer"}}`), KindBearer},
		{"basic credentials", jsonLine("header", "Authorization: Basic "+base64.StdEncoding.EncodeToString([]byte("client:"+apiKey))), KindBasic},
		{"an SCA redirect URL", jsonLine("error", "PendingUserAction redirectUrl=https://sca.sandbox.mangopay.com/?token=a1b2c3d4e5f6"), KindSCAToken},
		{"an SCA redirect URL, token after &", jsonLine("redirect_url", "https://sca.mangopay.com/?lang=fr&token=a1b2c3d4e5f6"), KindSCAToken},
		{"the fake's SCA page", jsonLine("redirect_url", "http://127.0.0.1:41234/sca?token=0123456789abcdef"), KindSCAToken},
		{"PDF bytes", jsonLine("body", string(pdf)), KindPageBytes},
		{"PNG bytes", jsonLine("body", string(png)), KindPageBytes},
		{"JPEG bytes", jsonLine("body", string(jpeg)), KindPageBytes},
		{"raw JPEG bytes", append([]byte("text "), jpeg...), KindPageBytes},
		{"PDF in base64", jsonLine("file", base64.StdEncoding.EncodeToString(pdf)), KindPageBytes},
		{"PNG in base64", jsonLine("file", base64.StdEncoding.EncodeToString(png)), KindPageBytes},
		{"JPEG in base64", jsonLine("file", base64.StdEncoding.EncodeToString(jpeg)), KindPageBytes},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			found := Scan(tt.logs, apiKey)
			kinds := map[string]bool{}
			for _, f := range found {
				kinds[f.Kind] = true
				if strings.Contains(f.Hint, apiKey) || strings.Contains(f.Hint, "4970107111111119") {
					t.Errorf("the hint repeats the value: %s", f)
				}
			}
			if !kinds[tt.want] {
				t.Fatalf("Scan(%q) = %v, want a %s", tt.logs, found, tt.want)
			}
		})
	}
}

// What ordinary log lines hold must not be reported: ids, timestamps,
// amounts, redacted values, wrong checksums.
func TestScanIgnoresOrdinaryLines(t *testing.T) {
	clean := [][]byte{
		jsonLine("record_id", "pay_01JD8Q0Z7Y3K4M5N6P7Q8R9S0T"),
		jsonLine("epoch_ms", 1731456789012),              // 13 digits starting with 1
		jsonLine("epoch_ns", int64(1731456789012345678)), // 19 digits starting with 1
		jsonLine("amount", 99999999999),                  // 11 digits
		jsonLine("card", "4970107111111118"),             // fails Luhn
		jsonLine("iban", "FR7630004000031234567890144"),  // fails mod 97
		jsonLine("request", map[string]any{"IBAN": "[REDACTED]", "CardCvx": "[REDACTED]", "access_token": "[REDACTED]"}),
		jsonLine("cvx_present", true),
		jsonLine("alias", "497010XXXXXX1119"), // Mangopay's card alias
		jsonLine("short_secret", "abc"),       // below MinSecretLen
		jsonLine("path", "/v2.01/client-id/users/12345678/wallets"),
		jsonLine("idempotency_key", true),
		jsonLine("error", "mangopay: HTTP 401 PendingUserAction: the user must complete strong customer authentication at https://sca.sandbox.mangopay.com (redirect URL withheld)"),
		jsonLine("url", "https://example.com/hooks?token=[REDACTED]"),
		[]byte(`{"time":"2025-01-15T10:00:00.123456789Z","level":"INFO","msg":"request","duration_ms":12,"status":201}`),
	}
	for _, line := range clean {
		if found := Scan(line, apiKey, "abc", ""); len(found) != 0 {
			t.Errorf("Scan(%s) = %v, want nothing", line, found)
		}
	}
}

func TestScanReportsLines(t *testing.T) {
	logs := bytes.Join([][]byte{[]byte(`{"msg":"ok"}`), []byte(`{"msg":"x","k":"` + apiKey + `"}`), []byte(`{"msg":"ok"}`)}, []byte("\n"))
	found := Scan(logs, apiKey)
	if len(found) != 1 || found[0].Line != 2 || found[0].Kind != KindSecret {
		t.Fatalf("Scan = %v, want one secret on line 2", found)
	}
}

func TestLuhnAndIBAN(t *testing.T) {
	for s, want := range map[string]bool{"4970107111111119": true, "4970107111111118": false, "": false, "12a4": false, "0": true} {
		if Luhn(s) != want {
			t.Errorf("Luhn(%q) != %v", s, want)
		}
	}
	for s, want := range map[string]bool{"FR7630004000031234567890143": true, "GB33BUKB20201555555555": true,
		"DE89370400440532013000": true, "DE89370400440532013001": false, "fr7630004000031234567890143": false, "FR76": false} {
		if ValidIBAN(s) != want {
			t.Errorf("ValidIBAN(%q) != %v", s, want)
		}
	}
}
