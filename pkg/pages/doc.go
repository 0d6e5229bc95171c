// Package pages stores the files of KYC documents (pages) in S3 before
// they are sent to Mangopay.
//
// Every page is checked before it is stored: its type is sniffed from its
// first bytes (PDF, JPEG or PNG only, whatever name or type the caller
// gives), its size must fit Mangopay's limits for the document type
// (Limits), and a document has at most MaxPages pages. Pages are stored
// under documents/<document id>/pages/<n> with server-side encryption
// (SSE-S3 by default, SSE-KMS with a key id) and S3 checks the SHA-256
// computed here; Put returns the digest and size for the page record.
//
// Files too big for a Lambda payload (about 6 MB) are uploaded straight to
// S3 through PresignUpload: a PUT URL valid for a few minutes whose
// signature covers the exact Content-Length and the encryption header.
// Verify then applies the same checks to what arrived, and deletes it if
// it fails them.
//
// The bytes of a page never appear in logs or error messages.
package pages
