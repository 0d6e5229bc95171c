package mangopaytest

import (
	"math/big"
	"net/http"
	"regexp"
	"slices"
	"strings"
)

// bankCommon are the fields every bank account type has.
type bankCommon struct {
	OwnerAddress *address `json:"OwnerAddress"`
	OwnerName    string   `json:"OwnerName"`
	UserId       string   `json:"UserId"`
	Type         string   `json:"Type"`
	entityBase
	Active bool `json:"Active"`
}

// bankAccount is a legacy bank account of any Type.
type bankAccount struct {
	bankCommon
	IBAN, BIC, AccountNumber, SortCode, ABA, DepositAccountType *string
	BankName, InstitutionNumber, BranchCode, Country            *string
}

// view writes only the fields of the account's Type.
func (b *bankAccount) view() any {
	c := b.bankCommon
	switch b.Type {
	case "IBAN":
		return struct {
			bankCommon
			IBAN *string `json:"IBAN"`
			BIC  *string `json:"BIC"`
		}{c, b.IBAN, b.BIC}
	case "GB":
		return struct {
			bankCommon
			AccountNumber *string `json:"AccountNumber"`
			SortCode      *string `json:"SortCode"`
		}{c, b.AccountNumber, b.SortCode}
	case "US":
		return struct {
			bankCommon
			AccountNumber      *string `json:"AccountNumber"`
			ABA                *string `json:"ABA"`
			DepositAccountType *string `json:"DepositAccountType"`
		}{c, b.AccountNumber, b.ABA, b.DepositAccountType}
	case "CA":
		return struct {
			bankCommon
			BankName          *string `json:"BankName"`
			InstitutionNumber *string `json:"InstitutionNumber"`
			BranchCode        *string `json:"BranchCode"`
			AccountNumber     *string `json:"AccountNumber"`
		}{c, b.BankName, b.InstitutionNumber, b.BranchCode, b.AccountNumber}
	}
	return struct {
		bankCommon
		Country       *string `json:"Country"`
		BIC           *string `json:"BIC"`
		AccountNumber *string `json:"AccountNumber"`
	}{c, b.Country, b.BIC, b.AccountNumber}
}

type bankIn struct {
	OwnerName          *string  `json:"OwnerName"`
	OwnerAddress       *address `json:"OwnerAddress"`
	IBAN               *string  `json:"IBAN"`
	BIC                *string  `json:"BIC"`
	AccountNumber      *string  `json:"AccountNumber"`
	SortCode           *string  `json:"SortCode"`
	ABA                *string  `json:"ABA"`
	DepositAccountType *string  `json:"DepositAccountType"`
	BankName           *string  `json:"BankName"`
	InstitutionNumber  *string  `json:"InstitutionNumber"`
	BranchCode         *string  `json:"BranchCode"`
	Country            *string  `json:"Country"`
	Tag                *string  `json:"Tag"`
	Active             *bool    `json:"Active"`
}

var (
	reGBAccount = regexp.MustCompile(`^[0-9]{8}$`)
	reSortCode  = regexp.MustCompile(`^[0-9]{6}$`)
	reABA       = regexp.MustCompile(`^[0-9]{9}$`)
	reCAInst    = regexp.MustCompile(`^[0-9]{3,4}$`)
	reCABranch  = regexp.MustCompile(`^[0-9]{5}$`)
	reCAAccount = regexp.MustCompile(`^[0-9]{1,20}$`)
	reUSAccount = regexp.MustCompile(`^[0-9]{1,17}$`)
)

// checkBankType validates the Type-specific fields (§6.2, §6.3).
func checkBankType(errs fieldErrs, typ string, in *bankIn) {
	switch typ {
	case "IBAN":
		checkIBAN(errs, in.IBAN)
		checkRegex(errs, "BIC", in.BIC, false, reBIC)
	case "GB":
		checkRegex(errs, "AccountNumber", in.AccountNumber, true, reGBAccount)
		checkRegex(errs, "SortCode", in.SortCode, true, reSortCode)
	case "US":
		checkRegex(errs, "AccountNumber", in.AccountNumber, true, reUSAccount)
		checkRegex(errs, "ABA", in.ABA, true, reABA)
		checkEnum(errs, "DepositAccountType", in.DepositAccountType, false, "CHECKING", "SAVINGS")
	case "CA":
		checkRegex(errs, "AccountNumber", in.AccountNumber, true, reCAAccount)
		checkRegex(errs, "InstitutionNumber", in.InstitutionNumber, true, reCAInst)
		checkRegex(errs, "BranchCode", in.BranchCode, true, reCABranch)
		checkStr(errs, "BankName", in.BankName, true, 1, 50)
	case "OTHER":
		checkRegex(errs, "AccountNumber", in.AccountNumber, true, reAlnum5_35)
		checkRegex(errs, "BIC", in.BIC, true, reBIC)
		checkCountry(errs, "Country", in.Country, true)
		if in.Country != nil && slices.Contains(blockedCountries, *in.Country) {
			errs.add("Country", "The Country used is blocked")
		}
	}
}

// checkIBAN requires a valid IBAN (length, mod-97) from a country that is
// not blocked.
func checkIBAN(errs fieldErrs, p *string) {
	if p == nil || *p == "" {
		errs.required("IBAN")
		return
	}
	iban := strings.ToUpper(strings.ReplaceAll(*p, " ", ""))
	if !validIBAN(iban) {
		errs.add("IBAN", "The value is not a valid IBAN")
		return
	}
	if slices.Contains(blockedCountries, iban[:2]) {
		errs.add("IBAN", "The IBAN country is blocked")
	}
}

var reIBAN = regexp.MustCompile(`^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$`)

// validIBAN checks the format and the ISO 7064 mod-97 checksum.
func validIBAN(iban string) bool {
	if !reIBAN.MatchString(iban) {
		return false
	}
	var digits strings.Builder
	for _, r := range iban[4:] + iban[:4] {
		if r >= 'A' && r <= 'Z' {
			digits.WriteString(big.NewInt(int64(r - 'A' + 10)).String())
		} else {
			digits.WriteRune(r)
		}
	}
	n, ok := new(big.Int).SetString(digits.String(), 10)
	return ok && new(big.Int).Mod(n, big.NewInt(97)).Int64() == 1
}

// createBankAccount is POST /users/{id}/bankaccounts/{iban|gb|us|ca|other}.
func (s *Server) createBankAccount(c *call) *reply {
	st := s.st
	u, rep := s.getUserOr404(c.param("id"))
	if rep != nil {
		return rep
	}
	typ := strings.ToUpper(c.param("type"))
	if !slices.Contains([]string{"IBAN", "GB", "US", "CA", "OTHER"}, typ) {
		return st.notFound("BankAccountType", c.param("type"))
	}
	var in bankIn
	errs := decodeBody(c.body, &in)
	checkStr(errs, "OwnerName", in.OwnerName, true, 1, 255)
	checkAddress(errs, "OwnerAddress", in.OwnerAddress, true, false)
	checkTag(errs, in.Tag)
	checkBankType(errs, typ, &in)
	if len(errs) > 0 {
		if typ == "GB" {
			return st.apiError(http.StatusBadRequest, "bankaccount_error", msgParamError, errs)
		}
		return st.paramError(errs)
	}
	b := &bankAccount{
		bankCommon: bankCommon{OwnerAddress: in.OwnerAddress, OwnerName: *in.OwnerName, UserId: u.Id, Type: typ,
			entityBase: st.base("bankacc_m_", in.Tag), Active: true},
		IBAN: in.IBAN, BIC: in.BIC, AccountNumber: in.AccountNumber, SortCode: in.SortCode, ABA: in.ABA,
		DepositAccountType: in.DepositAccountType, BankName: in.BankName, InstitutionNumber: in.InstitutionNumber,
		BranchCode: in.BranchCode, Country: in.Country,
	}
	if b.IBAN != nil {
		b.IBAN = ptr(strings.ToUpper(strings.ReplaceAll(*b.IBAN, " ", "")))
	}
	st.banks.add(b)
	return jsonReply(http.StatusOK, b.view())
}

// userBank finds a bank account of a user for path Ids.
func (s *Server) userBank(c *call) (*bankAccount, *reply) {
	if _, rep := s.getUserOr404(c.param("id")); rep != nil {
		return nil, rep
	}
	b, ok := s.st.banks.get(c.param("bank"))
	if !ok || b.UserId != c.param("id") {
		return nil, s.st.notFound("BankAccount", c.param("bank"))
	}
	return b, nil
}

func (s *Server) getBankAccount(c *call) *reply {
	b, rep := s.userBank(c)
	if rep != nil {
		return rep
	}
	return jsonReply(http.StatusOK, b.view())
}

// updateBankAccount is PUT with {"Active": false}; deactivation cannot be
// undone.
func (s *Server) updateBankAccount(c *call) *reply {
	st := s.st
	b, rep := s.userBank(c)
	if rep != nil {
		return rep
	}
	var in bankIn
	errs := decodeBody(c.body, &in)
	if len(errs) == 0 && in.Active == nil {
		errs.required("Active")
	}
	if len(errs) == 0 && *in.Active && !b.Active {
		errs.add("Active", "A deactivated bank account cannot be reactivated")
	}
	if len(errs) > 0 {
		return st.paramError(errs)
	}
	b.Active = *in.Active
	return jsonReply(http.StatusOK, b.view())
}

func (s *Server) listBankAccounts(c *call) *reply {
	if _, rep := s.getUserOr404(c.param("id")); rep != nil {
		return rep
	}
	o, rep := s.parseList(c)
	if rep != nil {
		return rep
	}
	return s.listReply(o, filtered(s.st.banks.list, func(b *bankAccount) bool {
		return b.UserId == c.param("id") && o.keep(b, "Active", boolStr(b.Active), "Type", b.Type)
	}))
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
