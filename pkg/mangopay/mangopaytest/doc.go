// Package mangopaytest is a stateful in-memory fake of the Mangopay REST API
// v2.01, for tests (NewServer) and local runs (Start, cmd/mangopay-fake).
//
// It models the reference /work/shared/mangopay-api.md (§22 is its
// checklist) independently of the client package, which it never imports.
// Where the public sources disagree (⚠ in the reference) the fake is strict,
// so that a client that works here copes with the real API:
//
//   - error Date is written as a float (1740581497.0), except in the 401
//     invalid_credentials body; error Id carries a "#<unix>" suffix;
//   - the refund original_transaction_must_be_succeeded error uses the
//     capitalised "Errors": {} key, as in the documented example;
//   - 502, 503 and 504 faults answer plain-text HTML, like a gateway;
//   - request field names are case-sensitive (a field in another case is an
//     unknown field, hence ignored); type errors are 400 param_error naming
//     every bad field (e.g. "DebitedFunds.Amount");
//   - PUT on users requires UserCategory and TermsAndConditionsAccepted;
//   - BrowserInfo requires every sub-field, JavascriptEnabled included;
//     TimeZoneOffset may be a number or a numeric string and is echoed as sent;
//   - per_page above 100, page < 1 and a bad Sort are 400 param_error; lists
//     default to CreationDate:DESC; BeforeDate/AfterDate are exclusive;
//   - an Idempotency-Key of a bad format is 400 param_error on
//     errors.IdempotencyKey; two same-amount captures of a preauthorization
//     within 24 h need a key on both;
//   - GET /payouts/{id} omits ModeRequested, ModeApplied and FallbackReason,
//     which only GET /payouts/bankwire/{id} (and the create answer) carry;
//   - payouts debit the wallet at creation and credit it back on failure;
//   - refuse_unreadable refuses with DOCUMENT_UNREADABLE;
//   - the preauthorization hold is 561600 s; PayInId keeps the first capture;
//   - wallet reads (GET /wallets/{id}, /users/{id}/wallets,
//     /wallets/{id}/transactions) refuse a ScaContext outside USER_PRESENT |
//     USER_NOT_PRESENT (400 param_error); for an OWNER marked with
//     RequireWalletSCA they answer 401, no body, "WWW-Authenticate:
//     PendingUserAction redirectUrl=http://127.0.0.1:<port>/sca?token=..."
//     unless ScaContext is USER_NOT_PRESENT (an assumption: the docs do not
//     say a backend read passes), until the user visits that URL (sca.go);
//   - a transfer between two OWNER users whose author is marked with
//     RequireTransferSCA answers CREATED with PendingUserAction.RedirectUrl
//     (http://127.0.0.1:<port>/sca?token=..., one token per transfer) and
//     moves nothing until that URL is visited; 10 minutes later it fails
//     with 007102; with ScaContext USER_NOT_PRESENT it fails with 002704 (an
//     assumption, sca_transfers.go);
//
// GET /events takes EventType as an optional filter: the docs mark it
// required, but the official SDKs call without it against the sandbox.
//
// The fake has its own clock, which only moves through Advance (or POST
// /__fake/clock/advance); everything time-based follows it: token expiry,
// payout settlement and expiry, KYC review, preauthorization and web pay-in
// expiry, transfer SCA expiry, hook retries, rate-limit windows, the 24 h
// idempotency window and the 45-day event window. Hooks are delivered by a background goroutine, to
// loopback hosts only; WaitHooks synchronises with it.
package mangopaytest
