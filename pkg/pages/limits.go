package pages

import (
	"bytes"
	"errors"
	"fmt"
)

// Limits from Mangopay's KYC reference: at most 5 pages per document, each
// a PDF, JPEG or PNG file of at least 32 KB (identity proofs) or 1 KB
// (other documents) and at most about 7 MB raw (10 MB once base64-encoded).
// The stricter reading of each bound is used: KiB for the minimums, decimal
// MB for the maximum.
const (
	MaxPages        = 5
	MinIdentitySize = 32 << 10
	MinOtherSize    = 1 << 10
	MaxSize         = 7_000_000
)

// Content types accepted, as sniffed from the bytes.
const (
	TypePDF  = "application/pdf"
	TypeJPEG = "image/jpeg"
	TypePNG  = "image/png"
)

// DocumentTypes lists Mangopay's KYC document types.
var DocumentTypes = []string{
	"IDENTITY_PROOF", "REGISTRATION_PROOF", "ARTICLES_OF_ASSOCIATION",
	"SHAREHOLDER_DECLARATION", "ADDRESS_PROOF",
}

// Errors a page can be refused with; the returned errors wrap them (test
// with errors.Is) and say what to do in their message.
var (
	ErrUnsupportedType = errors.New("pages: unsupported file type")
	ErrTooSmall        = errors.New("pages: file too small")
	ErrTooLarge        = errors.New("pages: file too large")
	ErrTooManyPages    = errors.New("pages: too many pages")
	ErrUnknownDocType  = errors.New("pages: unknown document type")
	ErrInvalid         = errors.New("pages: invalid request")
	ErrNotFound        = errors.New("pages: no such page")
)

// Limits returns the smallest and largest page accepted for a document
// type, in bytes; ok is false for an unknown type.
func Limits(docType string) (minSize, maxSize int64, ok bool) {
	switch docType {
	case "IDENTITY_PROOF":
		return MinIdentitySize, MaxSize, true
	case "REGISTRATION_PROOF", "ARTICLES_OF_ASSOCIATION", "SHAREHOLDER_DECLARATION", "ADDRESS_PROOF":
		return MinOtherSize, MaxSize, true
	}
	return 0, 0, false
}

var (
	magicPDF  = []byte("%PDF-")
	magicJPEG = []byte{0xFF, 0xD8, 0xFF}
	magicPNG  = []byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'}
)

// Sniff returns the content type of b from its first bytes alone: PDF,
// JPEG or PNG. ok is false for anything else, whatever its name or the
// type a caller claims.
func Sniff(b []byte) (contentType string, ok bool) {
	switch {
	case bytes.HasPrefix(b, magicPDF):
		return TypePDF, true
	case bytes.HasPrefix(b, magicJPEG):
		return TypeJPEG, true
	case bytes.HasPrefix(b, magicPNG):
		return TypePNG, true
	}
	return "", false
}

// CheckSize checks a page size against the limits of docType.
func CheckSize(docType string, size int64) error {
	minSize, maxSize, ok := Limits(docType)
	switch {
	case !ok:
		return fmt.Errorf("%w %q: use one of %v", ErrUnknownDocType, docType, DocumentTypes)
	case size < minSize:
		return fmt.Errorf("%w: %d bytes, a %s page needs at least %d bytes to be readable: scan it at a higher resolution",
			ErrTooSmall, size, docType, minSize)
	case size > maxSize:
		return fmt.Errorf("%w: %d bytes, Mangopay accepts at most %d bytes per page: compress it or split it into several pages",
			ErrTooLarge, size, maxSize)
	}
	return nil
}

// CheckNumber checks a page number (1 to MaxPages).
func CheckNumber(number int) error {
	switch {
	case number > MaxPages:
		return fmt.Errorf("%w: page %d, a document has at most %d pages: create a new document for the rest",
			ErrTooManyPages, number, MaxPages)
	case number < 1:
		return fmt.Errorf("%w: page number %d, pages are numbered from 1", ErrInvalid, number)
	}
	return nil
}

// Check validates a whole page: number, content type, then size. It returns
// the sniffed content type. Error messages never include the bytes.
func Check(docType string, number int, data []byte) (string, error) {
	if err := CheckNumber(number); err != nil {
		return "", err
	}
	ct, ok := Sniff(data)
	if !ok {
		return "", fmt.Errorf("%w: the content is not a PDF, JPEG or PNG file (judged from its bytes, not its name): "+
			"export it to one of these formats", ErrUnsupportedType)
	}
	if err := CheckSize(docType, int64(len(data))); err != nil {
		return "", err
	}
	return ct, nil
}
