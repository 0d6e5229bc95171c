package records

import (
	"encoding/json"
	"time"
)

// Kind is the type of Mangopay object a record mirrors.
type Kind string

// The kinds of record, one per object created at Mangopay.
const (
	KindUserNatural      Kind = "USER_NATURAL"
	KindUserLegal        Kind = "USER_LEGAL"
	KindDocument         Kind = "DOCUMENT"
	KindPage             Kind = "PAGE"
	KindBankAccount      Kind = "BANK_ACCOUNT"
	KindWallet           Kind = "WALLET"
	KindCardRegistration Kind = "CARD_REGISTRATION"
	KindCard             Kind = "CARD"
	KindPayIn            Kind = "PAYIN"
	KindPreauthorization Kind = "PREAUTHORIZATION"
	KindRefund           Kind = "REFUND"
	KindTransfer         Kind = "TRANSFER"
	KindPayout           Kind = "PAYOUT"
)

// kindPrefixes gives each kind the prefix of its ids.
var kindPrefixes = map[Kind]string{
	KindUserNatural:      "usn",
	KindUserLegal:        "usl",
	KindDocument:         "doc",
	KindPage:             "pag",
	KindBankAccount:      "bnk",
	KindWallet:           "wlt",
	KindCardRegistration: "crg",
	KindCard:             "crd",
	KindPayIn:            "pay",
	KindPreauthorization: "pre",
	KindRefund:           "rfd",
	KindTransfer:         "trf",
	KindPayout:           "pyo",
}

// Kinds returns every kind, in a fixed order.
func Kinds() []Kind {
	return []Kind{KindUserNatural, KindUserLegal, KindDocument, KindPage, KindBankAccount,
		KindWallet, KindCardRegistration, KindCard, KindPayIn, KindPreauthorization,
		KindRefund, KindTransfer, KindPayout}
}

// Valid reports whether k is one of the kinds above.
func (k Kind) Valid() bool { _, ok := kindPrefixes[k]; return ok }

// IsTransaction reports whether k moves money (pay-ins, preauthorizations,
// refunds, transfers, payouts).
func (k Kind) IsTransaction() bool {
	switch k {
	case KindPayIn, KindPreauthorization, KindRefund, KindTransfer, KindPayout:
		return true
	}
	return false
}

// SyncState says whether Mangopay has answered for a record.
type SyncState string

// Sync states.
const (
	// SyncPending: the record is written before calling Mangopay, and stays
	// PENDING until Mangopay answers.
	SyncPending SyncState = "PENDING"
	// SyncSynced: the record holds Mangopay's latest answer.
	SyncSynced SyncState = "SYNCED"
	// SyncFailed: Mangopay refused the request; SyncError says why.
	SyncFailed SyncState = "FAILED"
)

// Record is our copy of one object created at Mangopay. Fields common to
// every kind sit at the top; the part matching Kind holds the rest (the
// other parts are nil). Times are UTC. Money is in minor units.
type Record struct {
	ID         string `dynamodbav:"pk" json:"id"`
	Kind       Kind   `dynamodbav:"kind" json:"kind"`
	MangopayID string `dynamodbav:"mp_id,omitempty" json:"mangopay_id,omitempty"`
	// OwnerRef is the calling system's id for the person the record
	// belongs to (the external user id).
	OwnerRef string `dynamodbav:"owner_ref" json:"external_user_id"`
	// ParentID is our id of a related record: a page's document, a
	// refund's original transaction, a card's registration.
	ParentID string `dynamodbav:"parent_id,omitempty" json:"parent_id,omitempty"`
	Tag      string `dynamodbav:"tag,omitempty" json:"tag,omitempty"`

	Status        string `dynamodbav:"status,omitempty" json:"status,omitempty"`
	ResultCode    string `dynamodbav:"result_code,omitempty" json:"result_code,omitempty"`
	ResultMessage string `dynamodbav:"result_message,omitempty" json:"result_message,omitempty"`
	// MangopayCreatedAt is Mangopay's CreationDate.
	MangopayCreatedAt *time.Time `dynamodbav:"mp_created_at,omitempty" json:"mangopay_created_at,omitempty"`

	SyncState SyncState `dynamodbav:"sync_state" json:"sync_state"`
	SyncError string    `dynamodbav:"sync_error,omitempty" json:"sync_error,omitempty"`

	CreatedAt time.Time `dynamodbav:"created_at" json:"created_at"`
	UpdatedAt time.Time `dynamodbav:"updated_at" json:"updated_at"`
	Version   int64     `dynamodbav:"version" json:"version"`

	// Raw is the last payload Mangopay returned, with account numbers and
	// tokenization secrets masked (see RedactRaw).
	Raw json.RawMessage `dynamodbav:"raw,omitempty" json:"mangopay,omitempty"`

	// RecheckAt is when the record should next be polled at Mangopay. The
	// record sits in the by_recheck index only while RecheckAt is set and
	// NeedsPolling is true; the Store clears it otherwise.
	RecheckAt *time.Time `dynamodbav:"-" json:"recheck_at,omitempty"`

	// Outbox holds the events decided by this record's status changes
	// (see Outcomes) until they are published and cleared (ClearOutbox).
	// It is internal: not part of the API's answers (json "-"); the Store
	// copies it itself.
	Outbox []Outcome `dynamodbav:"outbox,omitempty" json:"-"`

	User             *User             `dynamodbav:"user,omitempty" json:"user,omitempty"`
	Document         *Document         `dynamodbav:"document,omitempty" json:"document,omitempty"`
	Page             *Page             `dynamodbav:"page,omitempty" json:"page,omitempty"`
	BankAccount      *BankAccount      `dynamodbav:"bank_account,omitempty" json:"bank_account,omitempty"`
	Wallet           *Wallet           `dynamodbav:"wallet,omitempty" json:"wallet,omitempty"`
	CardRegistration *CardRegistration `dynamodbav:"card_registration,omitempty" json:"card_registration,omitempty"`
	Card             *Card             `dynamodbav:"card,omitempty" json:"card,omitempty"`
	Transaction      *Transaction      `dynamodbav:"transaction,omitempty" json:"transaction,omitempty"`
}

// Money is an amount in the currency's minor unit (EUR 12.60 is 1260).
type Money struct {
	Amount   int64  `dynamodbav:"amount" json:"amount"`
	Currency string `dynamodbav:"currency" json:"currency"`
}

// Address is Mangopay's v2.01 address object.
type Address struct {
	AddressLine1 string `dynamodbav:"line1,omitempty" json:"line1,omitempty"`
	AddressLine2 string `dynamodbav:"line2,omitempty" json:"line2,omitempty"`
	City         string `dynamodbav:"city,omitempty" json:"city,omitempty"`
	Region       string `dynamodbav:"region,omitempty" json:"region,omitempty"`
	PostalCode   string `dynamodbav:"postal_code,omitempty" json:"postal_code,omitempty"`
	Country      string `dynamodbav:"country,omitempty" json:"country,omitempty"` // ISO 3166-1 alpha-2
}

// Person is a natural person's identity: a natural user, or a legal user's
// representative.
type Person struct {
	FirstName          string     `dynamodbav:"first_name,omitempty" json:"first_name,omitempty"`
	LastName           string     `dynamodbav:"last_name,omitempty" json:"last_name,omitempty"`
	Email              string     `dynamodbav:"email,omitempty" json:"email,omitempty"`
	Birthday           *time.Time `dynamodbav:"birthday,omitempty" json:"birthday,omitempty"` // midnight UTC
	Nationality        string     `dynamodbav:"nationality,omitempty" json:"nationality,omitempty"`
	CountryOfResidence string     `dynamodbav:"country_of_residence,omitempty" json:"country_of_residence,omitempty"`
	Address            *Address   `dynamodbav:"address,omitempty" json:"address,omitempty"`
}

// User is the part of a USER_NATURAL or USER_LEGAL record.
type User struct {
	UserCategory  string     `dynamodbav:"user_category,omitempty" json:"user_category,omitempty"` // PAYER | OWNER
	KYCLevel      string     `dynamodbav:"kyc_level,omitempty" json:"kyc_level,omitempty"`         // LIGHT | REGULAR
	UserStatus    string     `dynamodbav:"user_status,omitempty" json:"user_status,omitempty"`
	TermsAccepted bool       `dynamodbav:"terms_accepted,omitempty" json:"terms_accepted,omitempty"`
	TermsDate     *time.Time `dynamodbav:"terms_date,omitempty" json:"terms_date,omitempty"`
	Email         string     `dynamodbav:"email,omitempty" json:"email,omitempty"`
	// Natural holds the natural user's identity (nil for a legal user).
	Natural *Person `dynamodbav:"natural,omitempty" json:"natural,omitempty"`
	// Legal user fields.
	LegalPersonType     string   `dynamodbav:"legal_person_type,omitempty" json:"legal_person_type,omitempty"`
	Name                string   `dynamodbav:"name,omitempty" json:"name,omitempty"`
	CompanyNumber       string   `dynamodbav:"company_number,omitempty" json:"company_number,omitempty"`
	HeadquartersAddress *Address `dynamodbav:"headquarters_address,omitempty" json:"headquarters_address,omitempty"`
	LegalRepresentative *Person  `dynamodbav:"legal_representative,omitempty" json:"legal_representative,omitempty"`
}

// Document is the part of a DOCUMENT record (a KYC document).
type Document struct {
	Type                 string     `dynamodbav:"type" json:"type"` // IDENTITY_PROOF, ...
	PageCount            int        `dynamodbav:"page_count,omitempty" json:"page_count,omitempty"`
	RefusedReasonType    string     `dynamodbav:"refused_reason_type,omitempty" json:"refused_reason_type,omitempty"`
	RefusedReasonMessage string     `dynamodbav:"refused_reason_message,omitempty" json:"refused_reason_message,omitempty"`
	Flags                []string   `dynamodbav:"flags,omitempty" json:"flags,omitempty"`
	ProcessedAt          *time.Time `dynamodbav:"processed_at,omitempty" json:"processed_at,omitempty"`
}

// Page states.
const (
	// PageAwaitingUpload: the record is written, the bytes are not in S3
	// yet (an inline page being stored, or a presigned upload not made).
	PageAwaitingUpload = "AWAITING_UPLOAD"
	PageStored         = "STORED" // in S3, not yet sent to Mangopay
	PageSent           = "SENT"   // accepted by Mangopay
)

// Page is the part of a PAGE record: one file of a KYC document. The bytes
// live in S3 under S3Key; ParentID is the document's record id.
type Page struct {
	Number      int    `dynamodbav:"number" json:"number"`
	S3Key       string `dynamodbav:"s3_key" json:"s3_key"`
	SHA256      string `dynamodbav:"sha256" json:"sha256"`
	Size        int64  `dynamodbav:"size" json:"size"`
	ContentType string `dynamodbav:"content_type" json:"content_type"`
	State       string `dynamodbav:"state" json:"state"`
}

// BankAccount is the part of a BANK_ACCOUNT record. The full IBAN or
// account number is never stored: Mangopay keeps it, payouts only need the
// Mangopay id, and a masked number is enough to show which account it is.
type BankAccount struct {
	Type          string   `dynamodbav:"type" json:"type"` // IBAN | GB | US | CA | OTHER
	OwnerName     string   `dynamodbav:"owner_name,omitempty" json:"owner_name,omitempty"`
	OwnerAddress  *Address `dynamodbav:"owner_address,omitempty" json:"owner_address,omitempty"`
	AccountMasked string   `dynamodbav:"account_masked,omitempty" json:"account_masked,omitempty"` // e.g. "FR76…0143"
	BIC           string   `dynamodbav:"bic,omitempty" json:"bic,omitempty"`
	Country       string   `dynamodbav:"country,omitempty" json:"country,omitempty"`
	Active        bool     `dynamodbav:"active" json:"active"`
}

// Wallet is the part of a WALLET record.
type Wallet struct {
	Description   string     `dynamodbav:"description,omitempty" json:"description,omitempty"`
	Currency      string     `dynamodbav:"currency" json:"currency"`
	FundsType     string     `dynamodbav:"funds_type,omitempty" json:"funds_type,omitempty"`
	Balance       Money      `dynamodbav:"balance" json:"balance"`
	BalanceReadAt *time.Time `dynamodbav:"balance_read_at,omitempty" json:"balance_read_at,omitempty"`
}

// CardRegistration is the part of a CARD_REGISTRATION record. The access
// key, preregistration data and registration URL go to the browser, not to
// the table.
type CardRegistration struct {
	Currency string `dynamodbav:"currency" json:"currency"`
	CardType string `dynamodbav:"card_type,omitempty" json:"card_type,omitempty"`
	CardID   string `dynamodbav:"card_id,omitempty" json:"card_id,omitempty"` // Mangopay card id once validated
}

// Card is the part of a CARD record. Alias is Mangopay's masked number.
type Card struct {
	Alias          string `dynamodbav:"alias,omitempty" json:"alias,omitempty"`
	ExpirationDate string `dynamodbav:"expiration_date,omitempty" json:"expiration_date,omitempty"` // MMYY
	CardType       string `dynamodbav:"card_type,omitempty" json:"card_type,omitempty"`
	CardProvider   string `dynamodbav:"card_provider,omitempty" json:"card_provider,omitempty"`
	Country        string `dynamodbav:"country,omitempty" json:"country,omitempty"` // alpha-3
	Currency       string `dynamodbav:"currency,omitempty" json:"currency,omitempty"`
	Validity       string `dynamodbav:"validity,omitempty" json:"validity,omitempty"`
	Active         bool   `dynamodbav:"active" json:"active"`
	Fingerprint    string `dynamodbav:"fingerprint,omitempty" json:"fingerprint,omitempty"`
}

// Transaction is the part of PAYIN, PREAUTHORIZATION, REFUND, TRANSFER and
// PAYOUT records. Ids in it are Mangopay ids.
type Transaction struct {
	Type          string `dynamodbav:"type,omitempty" json:"type,omitempty"`     // PAYIN | TRANSFER | PAYOUT
	Nature        string `dynamodbav:"nature,omitempty" json:"nature,omitempty"` // REGULAR | REFUND | ...
	PaymentType   string `dynamodbav:"payment_type,omitempty" json:"payment_type,omitempty"`
	ExecutionType string `dynamodbav:"execution_type,omitempty" json:"execution_type,omitempty"`

	AuthorID         string `dynamodbav:"author_id,omitempty" json:"author_id,omitempty"`
	CreditedUserID   string `dynamodbav:"credited_user_id,omitempty" json:"credited_user_id,omitempty"`
	DebitedWalletID  string `dynamodbav:"debited_wallet_id,omitempty" json:"debited_wallet_id,omitempty"`
	CreditedWalletID string `dynamodbav:"credited_wallet_id,omitempty" json:"credited_wallet_id,omitempty"`

	DebitedFunds  Money      `dynamodbav:"debited_funds" json:"debited_funds"`
	CreditedFunds Money      `dynamodbav:"credited_funds" json:"credited_funds"`
	Fees          Money      `dynamodbav:"fees" json:"fees"`
	ExecutionDate *time.Time `dynamodbav:"execution_date,omitempty" json:"execution_date,omitempty"`

	// Card pay-ins and preauthorizations.
	CardID                string `dynamodbav:"card_id,omitempty" json:"card_id,omitempty"`
	SecureMode            string `dynamodbav:"secure_mode,omitempty" json:"secure_mode,omitempty"`
	SecureModeNeeded      bool   `dynamodbav:"secure_mode_needed,omitempty" json:"secure_mode_needed,omitempty"`
	SecureModeReturnURL   string `dynamodbav:"secure_mode_return_url,omitempty" json:"secure_mode_return_url,omitempty"`
	SecureModeRedirectURL string `dynamodbav:"secure_mode_redirect_url,omitempty" json:"secure_mode_redirect_url,omitempty"`
	StatementDescriptor   string `dynamodbav:"statement_descriptor,omitempty" json:"statement_descriptor,omitempty"`

	// Preauthorizations and their captures.
	PreauthorizationID string     `dynamodbav:"preauthorization_id,omitempty" json:"preauthorization_id,omitempty"`
	RemainingFunds     *Money     `dynamodbav:"remaining_funds,omitempty" json:"remaining_funds,omitempty"`
	PaymentStatus      string     `dynamodbav:"payment_status,omitempty" json:"payment_status,omitempty"` // WAITING | CANCELED | EXPIRED | VALIDATED
	AuthorizationDate  *time.Time `dynamodbav:"authorization_date,omitempty" json:"authorization_date,omitempty"`
	HoldExpiresAt      *time.Time `dynamodbav:"hold_expires_at,omitempty" json:"hold_expires_at,omitempty"` // Mangopay's ExpirationDate

	// Payouts.
	BankAccountID string `dynamodbav:"bank_account_id,omitempty" json:"bank_account_id,omitempty"`
	BankWireRef   string `dynamodbav:"bank_wire_ref,omitempty" json:"bank_wire_ref,omitempty"`
	ModeRequested string `dynamodbav:"mode_requested,omitempty" json:"mode_requested,omitempty"`
	ModeApplied   string `dynamodbav:"mode_applied,omitempty" json:"mode_applied,omitempty"`

	// Refunds.
	InitialTransactionID   string `dynamodbav:"initial_transaction_id,omitempty" json:"initial_transaction_id,omitempty"`
	InitialTransactionType string `dynamodbav:"initial_transaction_type,omitempty" json:"initial_transaction_type,omitempty"`
	RefundReasonType       string `dynamodbav:"refund_reason_type,omitempty" json:"refund_reason_type,omitempty"`
	RefundReasonMessage    string `dynamodbav:"refund_reason_message,omitempty" json:"refund_reason_message,omitempty"`
}
