// Package records keeps our copy of every object created at Mangopay, plus
// idempotency entries and received hook notifications, in one DynamoDB
// table (single-table design).
//
// # Table layout
//
// Schema (schema.go) is the one definition of the table; template.yaml and
// the tables made by EnsureTable are checked against it by tests.
//
//	pk              hash key: our record id ("pay_01J..."), "idem#<scope>#<key>"
//	                or "hook#<EventType>#<RessourceId>#<Date>"
//	by_mangopay_id  mp_id                           sparse: set once Mangopay answered
//	by_owner        owner + owner_sort              "<external user id>" (a page: its
//	                                                document's id) + "<KIND>#<created>#<id>"
//	by_recheck      recheck_bucket + recheck_at     sparse: only records to poll
//	expires_at      TTL (idempotency entries 24 h, hook notifications 30 days)
//
// Records have no sort key: each is one item, read and written whole under
// optimistic locking on its version. by_owner puts the kind at the start
// of the sort key rather than in the hash key, so one query lists a user's
// records of one kind (begins_with) or of every kind (e.g. for a data
// export or an erasure request).
//
// # Life of a record
//
// A handler creates the record PENDING before calling Mangopay, with
// RecheckAt set to a short grace period: if the invocation dies, the
// scheduler finds the record in by_recheck (bucket PENDING for a
// transaction, swept hourly every day; OTHER or DOCUMENT) and recovers it with the Mangopay idempotency key derived
// from its id (IdempotencyKey). When Mangopay answers, Update stores its
// Status, ResultCode, ResultMessage and raw payload and sets SyncState
// SYNCED (or FAILED with SyncError). While the answer is provisional (a
// document in VALIDATION_ASKED, a transaction in CREATED) the handler sets
// RecheckAt to the next check; once it is final the Store drops the record
// from by_recheck by itself, so finding due records costs what the pending
// records weigh, not what the table weighs.
//
// Full account numbers and card tokenization secrets are never stored:
// BankAccount keeps a masked number, and raw payloads are redacted on
// every write (RedactRaw).
package records
