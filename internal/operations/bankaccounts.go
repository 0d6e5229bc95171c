package operations

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/validate"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// BankAccountTypes are the types of bank account a user may register.
func BankAccountTypes() []string {
	return []string{mangopay.BankAccountTypeIBAN, mangopay.BankAccountTypeGB, mangopay.BankAccountTypeUS,
		mangopay.BankAccountTypeCA, mangopay.BankAccountTypeOther}
}

// BankAccountInput is the body of POST /users/{user_id}/bank-accounts.
// Type chooses which account fields apply; a field of another type is an
// error, not silently dropped. The full account number goes to Mangopay
// only: the record, the answer and the logs show it masked.
type BankAccountInput struct {
	UserID string `json:"user_id"`
	// Type is IBAN, GB, US, CA or OTHER.
	Type         string           `json:"type"`
	OwnerName    string           `json:"owner_name"`
	OwnerAddress *records.Address `json:"owner_address"`
	// IBAN accounts: iban, and optionally bic.
	IBAN string `json:"iban,omitempty"`
	// BIC: optional on IBAN accounts, required on OTHER accounts.
	BIC string `json:"bic,omitempty"`
	// AccountNumber: GB, US, CA and OTHER accounts.
	AccountNumber string `json:"account_number,omitempty"`
	// SortCode: GB accounts.
	SortCode string `json:"sort_code,omitempty"`
	// ABA and DepositAccountType (CHECKING or SAVINGS, optional): US accounts.
	ABA                string `json:"aba,omitempty"`
	DepositAccountType string `json:"deposit_account_type,omitempty"`
	// InstitutionNumber, BranchCode and BankName: CA accounts.
	InstitutionNumber string `json:"institution_number,omitempty"`
	BranchCode        string `json:"branch_code,omitempty"`
	BankName          string `json:"bank_name,omitempty"`
	// Country: OTHER accounts (ISO 3166-1 alpha-2).
	Country string `json:"country,omitempty"`
	Tag     string `json:"tag,omitempty"`
}

// bankTypeFields lists, per type, the account fields it takes.
var bankTypeFields = map[string][]string{
	mangopay.BankAccountTypeIBAN:  {"iban", "bic"},
	mangopay.BankAccountTypeGB:    {"account_number", "sort_code"},
	mangopay.BankAccountTypeUS:    {"account_number", "aba", "deposit_account_type"},
	mangopay.BankAccountTypeCA:    {"account_number", "institution_number", "branch_code", "bank_name"},
	mangopay.BankAccountTypeOther: {"account_number", "bic", "country"},
}

// Formats of Mangopay's account fields (reference §6.2, §6.3).
var (
	reGBAccount   = regexp.MustCompile(`^[0-9]{8}$`)
	reGBSortCode  = regexp.MustCompile(`^[0-9]{6}$`)
	reUSAccount   = regexp.MustCompile(`^[0-9]{1,17}$`)
	reUSABA       = regexp.MustCompile(`^[0-9]{9}$`)
	reCAAccount   = regexp.MustCompile(`^[0-9]{1,20}$`)
	reCAInst      = regexp.MustCompile(`^[0-9]{3,4}$`)
	reCABranch    = regexp.MustCompile(`^[0-9]{5}$`)
	reOtherNumber = regexp.MustCompile(`^[A-Za-z0-9]{5,35}$`)
)

// accountFields are the type-specific fields by name, in a fixed order.
func (in *BankAccountInput) accountFields() []struct{ name, value string } {
	return []struct{ name, value string }{
		{"iban", in.IBAN}, {"bic", in.BIC}, {"account_number", in.AccountNumber}, {"sort_code", in.SortCode},
		{"aba", in.ABA}, {"deposit_account_type", in.DepositAccountType}, {"institution_number", in.InstitutionNumber},
		{"branch_code", in.BranchCode}, {"bank_name", in.BankName}, {"country", in.Country},
	}
}

// Validate checks every field before anything is written or sent. No
// reason quotes the value given, so an account number never reaches an
// answer or a dead-letter reason.
func (in *BankAccountInput) Validate(v *validate.Errors) {
	checkID(v, "user_id", in.UserID, records.KindUserNatural, records.KindUserLegal)
	if v.Required("owner_name", in.OwnerName) {
		v.MaxLen("owner_name", in.OwnerName, 255)
	}
	checkAddress(v, "owner_address", in.OwnerAddress, true)
	checkTag(v, in.Tag)
	if !v.Required("type", in.Type) || !v.OneOf("type", in.Type, BankAccountTypes()...) {
		return
	}
	allowed := bankTypeFields[in.Type]
	for _, f := range in.accountFields() {
		if f.value != "" && !slices.Contains(allowed, f.name) {
			v.Add(f.name, "does not apply to %s accounts (%s accounts take %s)", in.Type, in.Type, strings.Join(allowed, ", "))
		}
	}
	switch in.Type {
	case mangopay.BankAccountTypeIBAN:
		if v.Required("iban", in.IBAN) {
			v.IBAN("iban", in.IBAN)
		}
		v.BIC("bic", in.BIC)
	case mangopay.BankAccountTypeGB:
		matchField(v, "account_number", in.AccountNumber, reGBAccount, "must be the 8 digits of a UK account number")
		matchField(v, "sort_code", in.SortCode, reGBSortCode, "must be the 6 digits of a UK sort code without dashes, e.g. 200000")
	case mangopay.BankAccountTypeUS:
		matchField(v, "account_number", in.AccountNumber, reUSAccount, "must be 1 to 17 digits")
		matchField(v, "aba", in.ABA, reUSABA, "must be the 9 digits of an ABA routing number")
		v.OneOf("deposit_account_type", in.DepositAccountType, mangopay.DepositAccountTypeChecking, mangopay.DepositAccountTypeSavings)
	case mangopay.BankAccountTypeCA:
		matchField(v, "account_number", in.AccountNumber, reCAAccount, "must be 1 to 20 digits")
		matchField(v, "institution_number", in.InstitutionNumber, reCAInst, "must be 3 or 4 digits")
		matchField(v, "branch_code", in.BranchCode, reCABranch, "must be the 5 digits of the branch (transit) number")
		if v.Required("bank_name", in.BankName) {
			v.MaxLen("bank_name", in.BankName, 50)
		}
	case mangopay.BankAccountTypeOther:
		matchField(v, "account_number", in.AccountNumber, reOtherNumber, "must be 5 to 35 letters and digits, without spaces")
		if v.Required("bic", in.BIC) {
			v.BIC("bic", in.BIC)
		}
		if v.Required("country", in.Country) {
			v.Country("country", in.Country)
		}
	}
}

// matchField requires s and checks it against re; reason never quotes s.
func matchField(v *validate.Errors, field, s string, re *regexp.Regexp, reason string) {
	if v.Required(field, s) {
		v.Check(re.MatchString(s), field, reason)
	}
}

// masked is the account number as it may be stored and shown.
func (in *BankAccountInput) masked() string {
	if in.Type == mangopay.BankAccountTypeIBAN {
		return records.MaskIBAN(in.IBAN)
	}
	return records.MaskTail(in.AccountNumber)
}

// bankCountry is the account's country: the IBAN's, the type's (GB, US,
// CA), or the one given for OTHER.
func (in *BankAccountInput) bankCountry() string {
	switch in.Type {
	case mangopay.BankAccountTypeIBAN:
		if len(in.IBAN) >= 2 {
			return in.IBAN[:2]
		}
		return ""
	case mangopay.BankAccountTypeOther:
		return in.Country
	}
	return in.Type
}

// CreateBankAccount registers a bank account for a user at Mangopay, once
// (the create protocol), and keeps its record: kind BANK_ACCOUNT, owned by
// the user's external id, ParentID the user's record. The user must be
// known at Mangopay (404 unknown, 409 not yet synced).
func (s *Service) CreateBankAccount(ctx context.Context, in *BankAccountInput, call api.Call) (api.Result, error) {
	user, err := s.synced(ctx, in.UserID, records.KindUserNatural, records.KindUserLegal)
	if err != nil {
		return api.Result{}, err
	}
	draft := &records.Record{Kind: records.KindBankAccount, OwnerRef: user.OwnerRef, ParentID: user.ID, Tag: in.Tag,
		BankAccount: &records.BankAccount{Type: in.Type, OwnerName: in.OwnerName, OwnerAddress: in.OwnerAddress,
			AccountMasked: in.masked(), BIC: in.BIC, Country: in.bankCountry()}}
	return s.create(ctx, call, draft, func(ctx context.Context, opts ...mangopay.CallOption) (func(*records.Record), error) {
		b, err := s.sendBankAccount(ctx, user.MangopayID, in, opts)
		if err != nil {
			return nil, err
		}
		return func(r *records.Record) { applyBankAccount(r, b) }, nil
	})
}

// sendBankAccount calls the create endpoint of the account's type.
func (s *Service) sendBankAccount(ctx context.Context, userMP string, in *BankAccountInput, opts []mangopay.CallOption) (*mangopay.BankAccount, error) {
	addr := toMangopayAddress(in.OwnerAddress)
	switch in.Type {
	case mangopay.BankAccountTypeIBAN:
		return s.MP.CreateIBANBankAccount(ctx, userMP, &mangopay.IBANBankAccountCreate{OwnerName: in.OwnerName,
			OwnerAddress: addr, IBAN: in.IBAN, BIC: in.BIC, Tag: in.Tag}, opts...)
	case mangopay.BankAccountTypeGB:
		return s.MP.CreateGBBankAccount(ctx, userMP, &mangopay.GBBankAccountCreate{OwnerName: in.OwnerName,
			OwnerAddress: addr, AccountNumber: in.AccountNumber, SortCode: in.SortCode, Tag: in.Tag}, opts...)
	case mangopay.BankAccountTypeUS:
		return s.MP.CreateUSBankAccount(ctx, userMP, &mangopay.USBankAccountCreate{OwnerName: in.OwnerName,
			OwnerAddress: addr, AccountNumber: in.AccountNumber, ABA: in.ABA, DepositAccountType: in.DepositAccountType, Tag: in.Tag}, opts...)
	case mangopay.BankAccountTypeCA:
		return s.MP.CreateCABankAccount(ctx, userMP, &mangopay.CABankAccountCreate{OwnerName: in.OwnerName,
			OwnerAddress: addr, AccountNumber: in.AccountNumber, InstitutionNumber: in.InstitutionNumber,
			BranchCode: in.BranchCode, BankName: in.BankName, Tag: in.Tag}, opts...)
	}
	return s.MP.CreateOtherBankAccount(ctx, userMP, &mangopay.OtherBankAccountCreate{OwnerName: in.OwnerName,
		OwnerAddress: addr, AccountNumber: in.AccountNumber, BIC: in.BIC, Country: in.Country, Tag: in.Tag}, opts...)
}

// applyBankAccount writes Mangopay's bank account into the record, with
// the account number masked.
func applyBankAccount(r *records.Record, m *mangopay.BankAccount) {
	if r.BankAccount == nil {
		r.BankAccount = &records.BankAccount{}
	}
	r.MangopayID, r.Tag = m.ID, m.Tag
	r.MangopayCreatedAt = mangopayTime(m.CreationDate)
	b := r.BankAccount
	b.Type, b.OwnerName, b.Active = m.Type, m.OwnerName, m.Active
	b.OwnerAddress = fromMangopayAddress(m.OwnerAddress)
	b.BIC = m.BIC
	switch {
	case m.IBAN != "":
		b.AccountMasked = records.MaskIBAN(m.IBAN)
	case m.AccountNumber != "":
		b.AccountMasked = records.MaskTail(m.AccountNumber)
	}
	switch {
	case m.Country != "":
		b.Country = m.Country
	case len(m.IBAN) >= 2:
		b.Country = m.IBAN[:2]
	}
}

// GetBankAccountInput is GET /bank-accounts/{bank_account_id}[?refresh=true].
type GetBankAccountInput struct {
	BankAccountID string `json:"bank_account_id"`
	// Refresh re-reads the account from Mangopay and stores it first.
	Refresh bool `json:"refresh,omitempty"`
}

// Validate checks the id.
func (in *GetBankAccountInput) Validate(v *validate.Errors) {
	checkID(v, "bank_account_id", in.BankAccountID, records.KindBankAccount)
}

// GetBankAccount answers from the record, or re-reads Mangopay first on
// refresh (409 while the account is not yet known at Mangopay).
func (s *Service) GetBankAccount(ctx context.Context, in *GetBankAccountInput, _ api.Call) (api.Result, error) {
	if !in.Refresh {
		rec, err := s.load(ctx, in.BankAccountID, records.KindBankAccount)
		if err != nil {
			return api.Result{}, err
		}
		return api.OK(rec), nil
	}
	rec, err := s.synced(ctx, in.BankAccountID, records.KindBankAccount)
	if err != nil {
		return api.Result{}, err
	}
	userMP, err := s.bankAccountUser(ctx, rec)
	if err != nil {
		return api.Result{}, err
	}
	var raw json.RawMessage
	b, err := s.MP.GetBankAccount(ctx, userMP, rec.MangopayID, mangopay.WithRawResponse(&raw))
	if err != nil {
		return api.Result{}, err
	}
	rec, err = s.storeBankAccount(ctx, rec, b, raw)
	if err != nil {
		return api.Result{}, err
	}
	return api.OK(rec), nil
}

// DeactivateBankAccountInput is DELETE /bank-accounts/{bank_account_id}.
type DeactivateBankAccountInput struct {
	BankAccountID string `json:"bank_account_id"`
}

// Validate checks the id.
func (in *DeactivateBankAccountInput) Validate(v *validate.Errors) {
	checkID(v, "bank_account_id", in.BankAccountID, records.KindBankAccount)
}

// DeactivateBankAccount deactivates an account at Mangopay, for good
// (Mangopay cannot reactivate it; payouts to it then fail), and stores
// Mangopay's answer (Active false). An account the record already shows
// inactive is answered as it is, without calling Mangopay again, so the
// request is safe to repeat.
func (s *Service) DeactivateBankAccount(ctx context.Context, in *DeactivateBankAccountInput, _ api.Call) (api.Result, error) {
	rec, err := s.synced(ctx, in.BankAccountID, records.KindBankAccount)
	if err != nil {
		return api.Result{}, err
	}
	if rec.BankAccount != nil && !rec.BankAccount.Active {
		return api.OK(rec), nil
	}
	userMP, err := s.bankAccountUser(ctx, rec)
	if err != nil {
		return api.Result{}, err
	}
	var raw json.RawMessage
	b, err := s.MP.DeactivateBankAccount(ctx, userMP, rec.MangopayID, mangopay.WithRawResponse(&raw))
	if err != nil {
		return api.Result{}, err
	}
	rec, err = s.storeBankAccount(ctx, rec, b, raw)
	if err != nil {
		return api.Result{}, err
	}
	return api.OK(rec), nil
}

// storeBankAccount writes Mangopay's answer into the record.
func (s *Service) storeBankAccount(ctx context.Context, rec *records.Record, b *mangopay.BankAccount, raw json.RawMessage) (*records.Record, error) {
	return s.Records.UpdateFrom(ctx, rec, func(r *records.Record) error {
		applyBankAccount(r, b)
		r.Raw, r.SyncState, r.SyncError = raw, records.SyncSynced, ""
		return nil
	})
}

// bankAccountUser returns the Mangopay id of the account's user (Mangopay
// addresses bank accounts under their user), from the user's record.
func (s *Service) bankAccountUser(ctx context.Context, rec *records.Record) (string, error) {
	user, err := s.synced(ctx, rec.ParentID, records.KindUserNatural, records.KindUserLegal)
	if err != nil {
		return "", err
	}
	return user.MangopayID, nil
}
