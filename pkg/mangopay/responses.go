package mangopay

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// IdempotencyResponse is what GET /responses/{key} returns: the original
// answer to a POST sent with that Idempotency-Key (kept 24 h).
type IdempotencyResponse struct {
	// StatusCode is the original HTTP status, as a string ("200").
	StatusCode string `json:"StatusCode"`
	// ContentLength is the original body length, as a string.
	ContentLength string `json:"ContentLength"`
	ContentType   string `json:"ContentType"`
	// Date is an HTTP-date ("Tue, 19 Jul 2022 08:47:59 GMT"); see Time.
	Date string `json:"Date"`
	// RequestURL is the original URL (absent on older answers).
	RequestURL string `json:"RequestURL"`
	// Resource is the original response body; see Decode.
	Resource json.RawMessage `json:"Resource"`
}

// UnmarshalJSON accepts StatusCode and ContentLength as strings, as
// documented, or as numbers.
func (r *IdempotencyResponse) UnmarshalJSON(b []byte) error {
	type plain IdempotencyResponse
	var aux struct {
		plain
		StatusCode    looseString `json:"StatusCode"`
		ContentLength looseString `json:"ContentLength"`
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	*r = IdempotencyResponse(aux.plain)
	r.StatusCode, r.ContentLength = string(aux.StatusCode), string(aux.ContentLength)
	return nil
}

// Status returns StatusCode as an int, or 0 when it is not a number.
func (r *IdempotencyResponse) Status() int {
	n, err := strconv.Atoi(strings.TrimSpace(r.StatusCode))
	if err != nil {
		return 0
	}
	return n
}

// Time parses Date, an HTTP-date.
func (r *IdempotencyResponse) Time() (time.Time, error) {
	return http.ParseTime(r.Date)
}

// Decode decodes the original body into out, e.g. a *PayIn.
func (r *IdempotencyResponse) Decode(out any) error {
	if len(r.Resource) == 0 || isJSONNull(r.Resource) {
		return fmt.Errorf("mangopay: idempotency response has no resource")
	}
	return json.Unmarshal(r.Resource, out)
}

// looseString decodes a JSON string or number (or null) into a string.
type looseString string

// UnmarshalJSON keeps a string as is and a number as written.
func (s *looseString) UnmarshalJSON(b []byte) error {
	if isJSONNull(b) {
		return nil
	}
	var str string
	if err := json.Unmarshal(b, &str); err == nil {
		*s = looseString(str)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*s = looseString(n.String())
	return nil
}

// GetIdempotencyResponse fetches the stored answer to the POST sent with
// key. An unknown key is a 400 correlationid_not_found *Error.
func (c *Client) GetIdempotencyResponse(ctx context.Context, key string, opts ...CallOption) (*IdempotencyResponse, error) {
	return get[IdempotencyResponse](ctx, c, "/responses/"+escape(key), opts)
}
