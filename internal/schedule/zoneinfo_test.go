package schedule

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// noSystemZones stands for a runtime image without a zoneinfo database.
//
// Why not ZONEINFO pointed at an empty directory: time.LoadLocation tries
// $ZONEINFO first but, on "not found" there, goes on to the system's
// directories (/usr/share/zoneinfo, ...), then to time/tzdata if the
// binary links it, then to runtime.GOROOT()'s lib/time/zoneinfo.zip (set
// in a test binary, empty in a -trimpath one); it also reads ZONEINFO
// only once per process. An empty ZONEINFO therefore hides nothing on a
// machine that has the database, and the fallback would go untested.
func noSystemZones(name string) (*time.Location, error) {
	return nil, errors.New("unknown time zone " + name)
}

func TestEmbeddedZonesLoadWithoutTheSystemDatabase(t *testing.T) {
	embedded := EmbeddedZones()
	// These must stay embedded: the default and the zones a European
	// marketplace is likely to pick.
	for _, name := range []string{"Europe/Paris", "Europe/London", "Europe/Berlin", "Europe/Madrid", "Europe/Rome",
		"Europe/Amsterdam", "Europe/Brussels", "Europe/Luxembourg", "Europe/Dublin", "Europe/Lisbon", "UTC"} {
		if !contains(embedded, name) {
			t.Errorf("%s is not embedded (EmbeddedZones: %v)", name, embedded)
		}
	}
	for _, name := range embedded {
		loc, err := loadLocation(name, noSystemZones)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if loc.String() != name {
			t.Errorf("%s loaded as %q", name, loc)
		}
		// Same offsets as the system's copy, where there is one.
		if sys, err := time.LoadLocation(name); err == nil {
			for _, at := range []time.Time{
				time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC), time.Date(2026, 7, 15, 12, 0, 0, 0, time.UTC),
				time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC), time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC),
				time.Date(2030, 3, 31, 1, 30, 0, 0, time.UTC), // past the TZif's transitions: its POSIX TZ string
			} {
				_, got := at.In(loc).Zone()
				_, want := at.In(sys).Zone()
				if got != want {
					t.Errorf("%s at %s: offset %d, the system's %d", name, at, got, want)
				}
			}
		}
	}
	// The default, and the calendar across Paris' DST change, from the
	// embedded copy alone.
	paris, err := loadLocation("", noSystemZones)
	if err != nil {
		t.Fatal(err)
	}
	friday := time.Date(2026, 3, 27, 17, 0, 0, 0, time.UTC) // 18:00 CET
	if got := NextWeekday(friday, paris, 8); got.UTC().Format(time.RFC3339) != "2026-03-30T06:00:00Z" {
		t.Errorf("NextWeekday across the spring change = %s, want Monday 08:00 CEST", got.UTC().Format(time.RFC3339))
	}
}

func TestUnknownZoneSaysWhatToDo(t *testing.T) {
	for _, system := range []struct {
		name string
		load func(string) (*time.Location, error)
	}{{"without the system database", noSystemZones}, {"with the system database", time.LoadLocation}} {
		t.Run(system.name, func(t *testing.T) {
			name := "Mars/Olympus"
			_, err := loadLocation(name, system.load)
			if err == nil {
				t.Fatalf("%s was accepted", name)
			}
			msg := err.Error()
			for _, want := range []string{"RECHECK_TIME_ZONE", `"` + name + `"`, "Europe/Paris", "Europe/London", "UTC", "go generate ./internal/schedule", "internal/schedule/zoneinfo.go"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error does not say %q: %s", want, msg)
				}
			}
		})
	}
	// A zone that exists but is not embedded fails only where the system
	// has no database.
	if _, err := loadLocation("America/New_York", noSystemZones); err == nil {
		t.Error("America/New_York loaded without the system database: is it embedded?")
	}
	for _, name := range []string{"../schedule.go", "/etc/passwd", ".", "Europe/../UTC"} {
		if _, err := loadLocation(name, noSystemZones); err == nil {
			t.Errorf("%q was accepted", name)
		}
	}
}

// TestEmbeddedZonesMatchTheToolchain: the embedded files are the current
// toolchain's, byte for byte (a newer Go with newer rules fails here:
// run go generate ./internal/schedule).
func TestEmbeddedZonesMatchTheToolchain(t *testing.T) {
	path := filepath.Join(runtime.GOROOT(), "lib", "time", "zoneinfo.zip")
	zr, err := zip.OpenReader(path)
	if errors.Is(err, fs.ErrNotExist) || runtime.GOROOT() == "" {
		t.Skipf("no %s", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, name := range EmbeddedZones() {
		want, err := readZip(&zr.Reader, name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		got, err := zoneinfo.ReadFile(zoneinfoRoot + "/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("embedded %s differs from %s's: run go generate ./internal/schedule", name, path)
		}
	}
}

func readZip(zr *zip.Reader, name string) ([]byte, error) {
	f, err := zr.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// TestNothingLinksTimeTzdata: no binary or test of the module links
// time/tzdata (450 KB; the embedded zones replace it). A test that linked
// it would also make time.LoadLocation find every zone, hiding the
// fallback.
func TestNothingLinksTimeTzdata(t *testing.T) {
	gobin, err := exec.LookPath("go") // go test puts its GOROOT/bin first on PATH
	if err != nil {
		t.Skip("no go command")
	}
	cmd := exec.Command(gobin, "list", "-deps", "-test", "-f", "{{if .Standard}}{{.ImportPath}}{{end}}", "./...")
	cmd.Dir = filepath.Join("..", "..")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		if p == "time/tzdata" {
			t.Fatal("a package of the module (or its test) imports time/tzdata: use schedule.LoadLocation's embedded zones instead")
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
