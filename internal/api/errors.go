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
	switch {
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
