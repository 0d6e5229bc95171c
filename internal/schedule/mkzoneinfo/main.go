// Command mkzoneinfo copies the TZif files of the named time zones out of
// Go's zoneinfo.zip ($GOROOT/lib/time/zoneinfo.zip) into a directory, for
// internal/schedule to embed (see the go:generate line in
// internal/schedule/zoneinfo.go). The directory is emptied first, so it
// holds exactly the zones named.
//
//	go run ./internal/schedule/mkzoneinfo -zip "$(go env GOROOT)/lib/time/zoneinfo.zip" -out internal/schedule/zoneinfo Europe/Paris UTC
package main

import (
	"archive/zip"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"runtime"
)

func main() {
	zipPath := flag.String("zip", filepath.Join(runtime.GOROOT(), "lib", "time", "zoneinfo.zip"), "Go's zoneinfo.zip")
	out := flag.String("out", "zoneinfo", "directory to write the TZif files into (emptied first)")
	flag.Parse()
	if flag.NArg() == 0 {
		log.Fatal("mkzoneinfo: name at least one time zone (e.g. Europe/Paris)")
	}
	if err := run(*zipPath, *out, flag.Args()); err != nil {
		log.Fatal(err)
	}
}

func run(zipPath, out string, zones []string) error {
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		return fmt.Errorf("mkzoneinfo: %w", err)
	}
	defer zr.Close()
	if err := os.RemoveAll(out); err != nil {
		return fmt.Errorf("mkzoneinfo: %w", err)
	}
	for _, name := range zones {
		data, err := read(&zr.Reader, name)
		if err != nil {
			return err
		}
		path := filepath.Join(out, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("mkzoneinfo: %w", err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return fmt.Errorf("mkzoneinfo: %w", err)
		}
	}
	return nil
}

// read is one zone's file in the archive.
func read(zr *zip.Reader, name string) ([]byte, error) {
	f, err := zr.Open(name)
	if err != nil {
		return nil, fmt.Errorf("mkzoneinfo: zone %q: %w", name, err)
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("mkzoneinfo: zone %q: %w", name, err)
	}
	return data, nil
}
