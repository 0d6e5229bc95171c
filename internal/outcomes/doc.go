// Package outcomes publishes the events that records' status changes
// decide (records.Outcomes) to an EventBridge bus, and payout outcomes
// also to an optional SQS queue. It replaces django-mangopay's
// MANGOPAY_PAYOUT_SUCCEEDED_TASK.
//
// The events are kept in the record's outbox by the same conditional
// write that changes the status, wherever it happens (create, refresh,
// re-check, hook). After the write the Store calls Publisher.Hook, which
// publishes and clears the events that write decided (a concurrent writer
// of the same record leaves them alone); a record whose outbox is not
// empty stays in the re-check index, so an event whose publishing failed
// is published by a later write or re-check once StaleAfter has passed. Delivery is at least once: consumers
// de-duplicate on detail.event_id (record id, detail type, version).
//
// Every event has source "lambda-mangopay", the detail type below and a
// JSON detail. Ids named "id" are our record ids; mangopay_id and the
// ids of wallets, users and bank accounts inside transactions are
// Mangopay's; external_user_id is the calling system's user id. Money is
// {"amount": minor units, "currency": "EUR"}.
//
//	Detail type          When                                            Detail fields
//	DocumentValidated    KYC document enters VALIDATED                   event_id, id, mangopay_id, external_user_id, user_id, tag, document_type, status, processed_at, version
//	DocumentRefused      KYC document enters REFUSED                     same + refused_reason_type, refused_reason_message
//	DocumentOutOfDate    KYC document enters OUT_OF_DATE                 as DocumentValidated
//	UserKYCLevelChanged  user's KYC level changes (LIGHT <-> REGULAR)    event_id, id, kind, mangopay_id, external_user_id, from, to, version
//	PayInSucceeded       pay-in enters SUCCEEDED                         transaction fields (below)
//	PayInFailed          pay-in enters FAILED                            transaction fields
//	TransferSucceeded    transfer enters SUCCEEDED                       transaction fields
//	TransferFailed       transfer enters FAILED                          transaction fields
//	PayoutSucceeded      payout enters SUCCEEDED                         transaction fields (also on the payout queue)
//	PayoutFailed         payout enters FAILED                            transaction fields (also on the payout queue)
//	RefundSucceeded      refund enters SUCCEEDED                         transaction fields
//	RefundFailed         refund enters FAILED                            transaction fields
//
// Transaction fields: event_id, id, kind, mangopay_id, external_user_id,
// parent_id (a refund's transaction record), tag, status, result_code,
// result_message, nature, payment_type, debited_funds, credited_funds,
// fees, author_id, credited_user_id, debited_wallet_id,
// credited_wallet_id, bank_account_id and bank_wire_ref (payouts),
// initial_transaction_id (refunds), execution_date, version. Empty
// fields are left out.
//
// A transaction created directly in SUCCEEDED or FAILED (most transfers)
// publishes its event at creation; a payout answered CREATED publishes
// when a refresh, re-check or hook sees it SUCCEEDED or FAILED.
// Preauthorizations publish nothing (their captures are pay-ins).
package outcomes
