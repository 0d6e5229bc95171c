package mangopay_test

import (
	"net/http"
	"testing"

	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
)

func TestBankAccountsOfEveryType(t *testing.T) {
	f := newFixture(t)
	u := f.owner(false)
	addr := parisAddress()
	tests := []struct {
		typ    string
		create func() (*mangopay.BankAccount, error)
		check  func(*mangopay.BankAccount) bool
	}{
		{mangopay.BankAccountTypeIBAN, func() (*mangopay.BankAccount, error) {
			return f.c.CreateIBANBankAccount(f.ctx, u.ID, &mangopay.IBANBankAccountCreate{OwnerName: "Jane Doe", OwnerAddress: addr, IBAN: testIBAN, BIC: testBIC, Tag: "main"})
		}, func(b *mangopay.BankAccount) bool { return b.IBAN == testIBAN && b.BIC == testBIC && b.Tag == "main" }},
		{mangopay.BankAccountTypeGB, func() (*mangopay.BankAccount, error) {
			return f.c.CreateGBBankAccount(f.ctx, u.ID, &mangopay.GBBankAccountCreate{OwnerName: "Jane Doe", OwnerAddress: addr, AccountNumber: "55779911", SortCode: "200000"})
		}, func(b *mangopay.BankAccount) bool { return b.AccountNumber == "55779911" && b.SortCode == "200000" }},
		{mangopay.BankAccountTypeUS, func() (*mangopay.BankAccount, error) {
			us := &mangopay.Address{AddressLine1: "1 Main St", City: "Austin", Region: "TX", PostalCode: "78701", Country: "US"}
			return f.c.CreateUSBankAccount(f.ctx, u.ID, &mangopay.USBankAccountCreate{OwnerName: "Jane Doe", OwnerAddress: us, AccountNumber: "11696419", ABA: "071000288", DepositAccountType: mangopay.DepositAccountTypeChecking})
		}, func(b *mangopay.BankAccount) bool {
			return b.ABA == "071000288" && b.DepositAccountType == mangopay.DepositAccountTypeChecking && b.OwnerAddress.Region == "TX"
		}},
		{mangopay.BankAccountTypeCA, func() (*mangopay.BankAccount, error) {
			ca := &mangopay.Address{AddressLine1: "1 Bay St", City: "Toronto", Region: "ON", PostalCode: "M5J 2N8", Country: "CA"}
			return f.c.CreateCABankAccount(f.ctx, u.ID, &mangopay.CABankAccountCreate{OwnerName: "Jane Doe", OwnerAddress: ca, AccountNumber: "11696419", InstitutionNumber: "614", BranchCode: "00152", BankName: "The Big Bank"})
		}, func(b *mangopay.BankAccount) bool {
			return b.InstitutionNumber == "614" && b.BranchCode == "00152" && b.BankName == "The Big Bank"
		}},
		{mangopay.BankAccountTypeOther, func() (*mangopay.BankAccount, error) {
			return f.c.CreateOtherBankAccount(f.ctx, u.ID, &mangopay.OtherBankAccountCreate{OwnerName: "Jane Doe", OwnerAddress: addr, AccountNumber: "11696419", BIC: "CRLYFRPP", Country: "FR"})
		}, func(b *mangopay.BankAccount) bool {
			return b.AccountNumber == "11696419" && b.Country == "FR" && b.BIC == "CRLYFRPP"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			b := must(tt.create())(t)
			wantPrefix(t, "bank account", b.ID, "bankacc_m_")
			if b.Type != tt.typ || b.UserID != u.ID || !b.Active || b.OwnerName != "Jane Doe" || b.OwnerAddress == nil || !tt.check(b) {
				t.Fatalf("created %+v", b)
			}
			got := must(f.c.GetBankAccount(f.ctx, u.ID, b.ID))(t)
			if got.ID != b.ID || got.Type != tt.typ || !tt.check(got) {
				t.Fatalf("get = %+v, want %+v", got, b)
			}
		})
	}
	page := must(f.c.ListBankAccounts(f.ctx, u.ID, &mangopay.ListOptions{PerPage: 2}))(t)
	if page.TotalItems != len(tests) || page.TotalPages != 3 || len(page.Items) != 2 {
		t.Fatalf("list = %d items, total %d, pages %d", len(page.Items), page.TotalItems, page.TotalPages)
	}
}

func TestDeactivateBankAccount(t *testing.T) {
	f := newFixture(t)
	u := f.owner(false)
	b := must(f.c.CreateIBANBankAccount(f.ctx, u.ID, &mangopay.IBANBankAccountCreate{OwnerName: "Jane Doe", OwnerAddress: parisAddress(), IBAN: testIBAN}))(t)
	off := must(f.c.DeactivateBankAccount(f.ctx, u.ID, b.ID))(t)
	if off.Active || off.ID != b.ID {
		t.Fatalf("deactivated = %+v", off)
	}
	// false must be on the wire, not omitted.
	if v, ok := f.lastBody(http.MethodPut, "/bankaccounts/"+b.ID)["Active"]; !ok || v != false {
		t.Fatalf("Active sent as %v (present %v)", v, ok)
	}
	if got := must(f.c.GetBankAccount(f.ctx, u.ID, b.ID))(t); got.Active {
		t.Fatal("account still active")
	}
	active := must(f.c.ListBankAccounts(f.ctx, u.ID, &mangopay.ListOptions{Filters: map[string]string{mangopay.FilterActive: "true"}}))(t)
	if active.TotalItems != 0 {
		t.Fatalf("active accounts = %d, want 0", active.TotalItems)
	}
}

func TestInvalidIBANIsAFieldError(t *testing.T) {
	f := newFixture(t)
	u := f.owner(false)
	_, err := f.c.CreateIBANBankAccount(f.ctx, u.ID, &mangopay.IBANBankAccountCreate{OwnerName: "Jane Doe", OwnerAddress: parisAddress(), IBAN: "FR7630004000031234567890144"})
	if !mangopay.IsValidation(err) {
		t.Fatalf("want a validation error, got %v", err)
	}
}
