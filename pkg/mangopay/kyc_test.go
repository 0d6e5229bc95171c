package mangopay_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"net/http"
	"testing"

	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
)

// pdf returns a PDF-looking file of n bytes.
func pdf(n int) []byte {
	b := []byte("%PDF-1.4\n")
	b = append(b, bytes.Repeat([]byte("0"), n-len(b)-6)...)
	return append(b, "\n%%EOF"...)
}

func TestKYCDocumentUploadSubmitAndReview(t *testing.T) {
	tests := []struct {
		tag        string
		wantStatus string
		wantReason string
		wantLevel  string
	}{
		{"accept", mangopay.KYCStatusValidated, "", mangopay.KYCLevelRegular},
		{"refuse_expired", mangopay.KYCStatusRefused, mangopay.KYCRefusedDocumentHasExpired, mangopay.KYCLevelLight},
		{"refuse_falsified", mangopay.KYCStatusRefused, mangopay.KYCRefusedDocumentFalsified, mangopay.KYCLevelLight},
	}
	for _, tt := range tests {
		t.Run(tt.tag, func(t *testing.T) {
			f := newFixture(t)
			u := f.owner(false)
			doc := must(f.c.CreateKYCDocument(f.ctx, u.ID, &mangopay.KYCDocumentCreate{Type: mangopay.KYCDocumentTypeIdentityProof, Tag: tt.tag}))(t)
			wantPrefix(t, "KYC document", doc.ID, "kyc_")
			if doc.Status != mangopay.KYCStatusCreated || doc.UserID != u.ID || doc.ProcessedDate != nil || doc.RefusedReasonType != nil {
				t.Fatalf("created document = %+v", doc)
			}
			file := pdf(40 << 10)
			if err := f.c.CreateKYCPage(f.ctx, u.ID, doc.ID, file); err != nil {
				t.Fatal(err)
			}
			sent := f.lastBody(http.MethodPost, "/pages")["File"].(string)
			if dec, err := base64.StdEncoding.DecodeString(sent); err != nil || !bytes.Equal(dec, file) {
				t.Fatalf("File sent is not the base64 of the page (%v)", err)
			}
			sub := must(f.c.SubmitKYCDocument(f.ctx, u.ID, doc.ID))(t)
			if sub.Status != mangopay.KYCStatusValidationAsked {
				t.Fatalf("after submit: %s", sub.Status)
			}
			f.check(f.srv.SettleDocument(doc.ID))
			got := must(f.c.GetKYCDocument(f.ctx, doc.ID))(t)
			if got.Status != tt.wantStatus || mangopay.StringValue(got.RefusedReasonType) != tt.wantReason || got.ProcessedDate == nil {
				t.Fatalf("reviewed document = %s %q processed=%v", got.Status, mangopay.StringValue(got.RefusedReasonType), got.ProcessedDate)
			}
			user := must(f.c.GetNaturalUser(f.ctx, u.ID))(t)
			if user.KYCLevel != tt.wantLevel {
				t.Fatalf("KYCLevel = %s, want %s", user.KYCLevel, tt.wantLevel)
			}
			if validated := tt.wantStatus == mangopay.KYCStatusValidated; validated != (mangopay.StringValue(user.ProofOfIdentity) == doc.ID) {
				t.Fatalf("ProofOfIdentity = %v after %s", mangopay.StringValue(user.ProofOfIdentity), got.Status)
			}
		})
	}
}

func TestKYCPageErrors(t *testing.T) {
	f := newFixture(t)
	u := f.owner(false)
	doc := must(f.c.CreateKYCDocument(f.ctx, u.ID, &mangopay.KYCDocumentCreate{Type: mangopay.KYCDocumentTypeIdentityProof}))(t)
	err := f.c.CreateKYCPage(f.ctx, u.ID, doc.ID, pdf(2<<10))
	var apiErr *mangopay.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.Fields["File"] == "" {
		t.Fatalf("too small page: want 400 on File, got %v", err)
	}
	for i := range 5 {
		if err := f.c.CreateKYCPage(f.ctx, u.ID, doc.ID, pdf(33<<10)); err != nil {
			t.Fatalf("page %d: %v", i+1, err)
		}
	}
	err = f.c.CreateKYCPage(f.ctx, u.ID, doc.ID, pdf(33<<10))
	if !errors.As(err, &apiErr) || apiErr.Type != "max_page_number" {
		t.Fatalf("6th page: want max_page_number, got %v", err)
	}
}

func TestKYCDocumentTypeNotAllowedForNaturalUser(t *testing.T) {
	f := newFixture(t)
	u := f.owner(false)
	_, err := f.c.CreateKYCDocument(f.ctx, u.ID, &mangopay.KYCDocumentCreate{Type: mangopay.KYCDocumentTypeRegistrationProof})
	var apiErr *mangopay.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.Fields["Type"] == "" {
		t.Fatalf("want 400 on Type, got %v", err)
	}
}

func TestListKYCDocuments(t *testing.T) {
	f := newFixture(t)
	u := f.owner(false)
	other := f.owner(false)
	for _, typ := range []string{mangopay.KYCDocumentTypeIdentityProof, mangopay.KYCDocumentTypeAddressProof, mangopay.KYCDocumentTypeIdentityProof} {
		must(f.c.CreateKYCDocument(f.ctx, u.ID, &mangopay.KYCDocumentCreate{Type: typ}))(t)
	}
	must(f.c.CreateKYCDocument(f.ctx, other.ID, &mangopay.KYCDocumentCreate{Type: mangopay.KYCDocumentTypeIdentityProof}))(t)
	all := must(f.c.ListKYCDocuments(f.ctx, u.ID, nil))(t)
	if all.TotalItems != 3 || len(all.Items) != 3 {
		t.Fatalf("documents = %d (total %d), want 3", len(all.Items), all.TotalItems)
	}
	ids := must(f.c.ListKYCDocuments(f.ctx, u.ID, &mangopay.ListOptions{Filters: map[string]string{mangopay.FilterType: mangopay.KYCDocumentTypeIdentityProof}}))(t)
	if ids.TotalItems != 2 {
		t.Fatalf("IDENTITY_PROOF documents = %d, want 2", ids.TotalItems)
	}
	for _, d := range ids.Items {
		if d.UserID != u.ID || d.Type != mangopay.KYCDocumentTypeIdentityProof {
			t.Fatalf("listed %+v", d)
		}
	}
}
