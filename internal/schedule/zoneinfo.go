package schedule

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"time"
)

// The time zones embedded in every binary that links this package, for a
// runtime image without a zoneinfo database (Lambda's provided.al2023 may
// have none): RECHECK_TIME_ZONE may name any of them. They are Go's own
// copies, taken from the zoneinfo.zip of the toolchain that ran go
// generate (TestEmbeddedZonesMatchTheToolchain checks them against the
// current one). To add a zone, append it to this line and run
// go generate ./internal/schedule (or make zoneinfo).
//
//go:generate go run ./mkzoneinfo -zip $GOROOT/lib/time/zoneinfo.zip -out zoneinfo Europe/Paris Europe/London Europe/Berlin Europe/Madrid Europe/Rome Europe/Amsterdam Europe/Brussels Europe/Luxembourg Europe/Dublin Europe/Lisbon Europe/Vienna Europe/Zurich Europe/Stockholm Europe/Copenhagen Europe/Oslo Europe/Helsinki Europe/Warsaw Europe/Prague Europe/Athens UTC

// zoneinfo holds one TZif file per embedded zone, at its IANA name.
//
//go:embed zoneinfo
var zoneinfo embed.FS

// zoneinfoRoot is zoneinfo's top directory.
const zoneinfoRoot = "zoneinfo"

// EmbeddedZones lists, sorted, the time zones this binary carries
// whatever the system holds.
func EmbeddedZones() []string {
	var names []string
	// The FS is in the binary: the walk cannot fail.
	_ = fs.WalkDir(zoneinfo, zoneinfoRoot, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, path[len(zoneinfoRoot)+1:])
		}
		return err
	})
	sort.Strings(names)
	return names
}

// EmbeddedLocation loads the zone name from the embedded set, without
// looking at the system's database. A zone not embedded is an error
// wrapping fs.ErrNotExist.
func EmbeddedLocation(name string) (*time.Location, error) {
	if !fs.ValidPath(name) || name == "." {
		return nil, fmt.Errorf("schedule: time zone %q: %w", name, fs.ErrNotExist)
	}
	data, err := zoneinfo.ReadFile(zoneinfoRoot + "/" + name)
	if err != nil {
		return nil, fmt.Errorf("schedule: time zone %q is not embedded: %w", name, err)
	}
	loc, err := time.LoadLocationFromTZData(name, data)
	if err != nil {
		return nil, fmt.Errorf("schedule: embedded time zone %q: %w", name, err)
	}
	return loc, nil
}
