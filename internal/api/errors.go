package api

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sort"

	"github.com/lambda-mangopay/lambda-mangopay/internal/problem"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// classify maps any error an operation returns to the answer it deserves.
// Only *Error, Mangopay's answers and known storage errors are shown to the
// caller in detail; anything else is a 500 whose detail stays in the logs.
func classify(err error) *Error {
	if e, ok := asError(err); ok {
		return e
	}
	var mp *mangopay.Error
	var sca *mangopay.SCARequiredError
	switch {
	case errors.As(err, &sca):
		return scaRequired(sca)
	case errors.As(err, &mp):
		return fromMangopay(mp)
	case errors.Is(err, records.ErrNotFound):
		return &Error{Status: http.StatusNotFound, Title: "Not found", Detail: "no record with this id"}
	case errors.Is(err, context.DeadlineExceeded), isNetwork(err):
		return unavailable("Mangopay or AWS did not answer in time; send the same request again (with the same Idempotency-Key).")
	case errors.Is(err, records.ErrConflict):
		return unavailable("the record is being changed by another request; send the same request again.")
	}
	return &Error{Status: http.StatusInternalServerError, Title: "Internal error",
		Detail: "the request failed on our side; it is safe to retry with the same Idempotency-Key, and the logs hold the details under this request's id."}
}

func unavailable(detail string) *Error {
	return &Error{Status: http.StatusServiceUnavailable, Title: "Temporarily unavailable", Detail: detail}
}

func isNetwork(err error) bool {
	var ne net.Error
	return errors.As(err, &ne)
}

// fromMangopay maps Mangopay's answer: its validation errors become 422
// with its field errors, its outages 503.
func fromMangopay(mp *mangopay.Error) *Error {
	switch {
	case mp.StatusCode == http.StatusNotFound:
		return &Error{Status: http.StatusNotFound, Title: "Not found at Mangopay", Detail: mp.Message}
	case mp.StatusCode == http.StatusUnauthorized:
		return unavailable("Mangopay refused our credentials; check the Mangopay secret (client_id, api_key).")
	case mp.StatusCode == http.StatusTooManyRequests || mp.StatusCode >= 500:
		return unavailable("Mangopay is unavailable or rate-limiting; send the same request again later (with the same Idempotency-Key).")
	}
	fields := make([]problem.FieldError, 0, len(mp.Fields))
	for f, reason := range mp.Fields {
		fields = append(fields, problem.FieldError{Field: f, Reason: reason})
	}
	sort.Slice(fields, func(i, j int) bool { return fields[i].Field < fields[j].Field })
	detail := mp.Message
	if mp.Type != "" {
		detail = mp.Type + ": " + mp.Message
	}
	return &Error{Status: http.StatusUnprocessableEntity, Title: "Refused by Mangopay", Detail: detail, Fields: fields}
}

// scaRequired answers Mangopay's request for the user's strong customer
// authentication (a 401 PendingUserAction challenge to us).
//
// The status is 403, not 401 or 503: 401 would tell our caller that its
// own credentials (IAM or JWT) were refused, and 503 that Mangopay or AWS
// is down, and both invite retrying the same request, which cannot pass
// until the user authenticates. 403 says what it is: this access is
// refused until the user, not the caller, does something. (409 was the
// other candidate, but this API's 409s are about records and idempotency
// keys, one of them to be retried after Retry-After.) It is permanent for a
// queue (dead-lettered with its reason, never retried on its own) and not
// stored as an idempotent answer (UserAction). The redirect URL goes in the
// redirect_url member only, never in the detail, which is logged.
func scaRequired(sca *mangopay.SCARequiredError) *Error {
	detail := "Mangopay asks for the strong customer authentication of the wallet's owner: send the user to redirect_url " +
		"to authenticate, then send the same request again."
	if sca.RedirectURL == "" {
		detail = "Mangopay asks for the strong customer authentication of the wallet's owner but gave no redirect URL: " +
			"the user must authenticate with Mangopay before the same request is sent again."
	}
	return &Error{Status: http.StatusForbidden, Title: "Strong customer authentication required", Detail: detail,
		RedirectURL: sca.RedirectURL, UserAction: true}
}
