// Package schedule is the weekday calendar of the re-checks: Mangopay's
// reviews and payouts move on business days, so a record found unchanged
// is looked at again on the next weekday (payouts, pay-ins), or at the
// next business hour (KYC documents, polled hourly 8-17 Monday to Friday
// like django-mangopay's Celery crontab), in the platform's time zone.
// Everything here is pure (the caller passes the time and the location),
// but for LoadLocation, which reads the system's zoneinfo database and
// falls back to the few zones embedded in the binary (zoneinfo.go).
package schedule

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"
)

// DefaultTimeZone is the time zone of the re-check calendar when
// RECHECK_TIME_ZONE is not set.
const DefaultTimeZone = "Europe/Paris"

// Business hours of the KYC re-checks: the first and the last hourly run.
const (
	OpenHour  = 8
	CloseHour = 17
)

// LoadLocation parses a time zone name ("" means DefaultTimeZone), with an
// error naming the variable it came from. It reads the system's zoneinfo
// database first (time.LoadLocation, which honours ZONEINFO), then the
// zones embedded in the binary (EmbeddedZones): a name found in neither
// is an error that lists the embedded ones.
func LoadLocation(name string) (*time.Location, error) {
	return loadLocation(name, time.LoadLocation)
}

// loadLocation is LoadLocation with the system's loader given (a test
// passes one that finds nothing).
func loadLocation(name string, system func(string) (*time.Location, error)) (*time.Location, error) {
	if name == "" {
		name = DefaultTimeZone
	}
	loc, sysErr := system(name)
	if sysErr == nil {
		return loc, nil
	}
	loc, err := EmbeddedLocation(name)
	if err == nil {
		return loc, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("RECHECK_TIME_ZONE %q: %w", name, err)
	}
	return nil, fmt.Errorf("RECHECK_TIME_ZONE %q is not a time zone of this system's zoneinfo database (%w) nor one of those embedded in the binary (%s): "+
		"set one of those (the IANA name, e.g. %s), or add the zone to the go:generate line in internal/schedule/zoneinfo.go, run go generate ./internal/schedule and redeploy",
		name, sysErr, strings.Join(EmbeddedZones(), ", "), DefaultTimeZone)
}

// IsWeekday reports whether t falls on Monday to Friday in loc.
func IsWeekday(t time.Time, loc *time.Location) bool {
	switch t.In(loc).Weekday() {
	case time.Saturday, time.Sunday:
		return false
	}
	return true
}

// InBusinessHours reports whether t is on a weekday, between open:00 and
// close:59:59 in loc (the hours of the hourly runs open..close).
func InBusinessHours(t time.Time, loc *time.Location, open, close int) bool {
	h := t.In(loc).Hour()
	return IsWeekday(t, loc) && h >= open && h <= close
}

// NextWeekday is the first hour:00 local time, on Monday to Friday,
// strictly after now: the next weekday run for a record checked at now.
// From Friday evening (or any time on the weekend) it is Monday; from a
// weekday before hour it is the same day. Across a DST change the wall
// clock hour is kept (08:00 stays 08:00 local); an hour that does not
// exist that day is moved forward as time.Date does.
func NextWeekday(now time.Time, loc *time.Location, hour int) time.Time {
	local := now.In(loc)
	y, m, d := local.Date()
	for i := 0; i < 8; i++ {
		t := time.Date(y, m, d+i, hour, 0, 0, 0, loc)
		if t.After(now) && IsWeekday(t, loc) {
			return t
		}
	}
	panic("schedule: no weekday in 8 days") // unreachable
}

// NextBusinessHour is the first top of an hour in open..close, Monday to
// Friday, strictly after now, in loc: the next hourly run. After close on
// Friday it is Monday at open.
func NextBusinessHour(now time.Time, loc *time.Location, open, close int) time.Time {
	local := now.In(loc)
	y, m, d := local.Date()
	for day := 0; day < 8; day++ {
		for h := open; h <= close; h++ {
			t := time.Date(y, m, d+day, h, 0, 0, 0, loc)
			if t.After(now) && IsWeekday(t, loc) && t.In(loc).Hour() == h {
				return t
			}
		}
	}
	panic("schedule: no business hour in 8 days") // unreachable
}
