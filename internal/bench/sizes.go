package bench

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"io"
	"os"
	"path/filepath"
)

// Sizes reads each function's bootstrap in dir and zips it (Deflate, as
// sam build's artefact: one file named bootstrap).
func Sizes(dir string, folders []string) ([]Size, error) {
	var out []Size
	for _, f := range folders {
		raw, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			return nil, err
		}
		z, err := zipSize(raw)
		if err != nil {
			return nil, err
		}
		out = append(out, Size{Function: f, Binary: int64(len(raw)), Zip: z})
	}
	return out, nil
}

func zipSize(raw []byte) (int64, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, flate.BestCompression) })
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err != nil {
		return 0, err
	}
	if _, err := w.Write(raw); err != nil {
		return 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, err
	}
	return int64(buf.Len()), nil
}
