package schedule

import (
	"testing"
	"time"
)

func paris(t *testing.T) *time.Location {
	t.Helper()
	loc, err := LoadLocation("")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestNextWeekday(t *testing.T) {
	loc := paris(t)
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct {
		name, now, want string
		hour            int
		wantUTC         string // when set, the instant in UTC (DST checks)
	}{
		{"Friday evening goes to Monday", "2026-11-20 18:00", "2026-11-23 08:00", 8, "2026-11-23T07:00:00Z"},
		{"Monday run goes to Tuesday", "2026-11-23 08:00", "2026-11-24 08:00", 8, ""},
		{"weekday before the hour is the same day", "2026-11-24 06:30", "2026-11-24 08:00", 8, ""},
		{"Saturday goes to Monday", "2026-11-21 10:00", "2026-11-23 08:00", 8, ""},
		{"Sunday late goes to Monday", "2026-11-22 23:59", "2026-11-23 08:00", 8, ""},
		{"Thursday goes to Friday", "2026-11-19 09:00", "2026-11-20 08:00", 8, ""},
		{"spring DST weekend: Monday 08:00 CEST", "2026-03-27 18:00", "2026-03-30 08:00", 8, "2026-03-30T06:00:00Z"},
		{"autumn DST weekend: Monday 08:00 CET", "2026-10-23 18:00", "2026-10-26 08:00", 8, "2026-10-26T07:00:00Z"},
		{"New Year's Eve Thursday", "2026-12-31 20:00", "2027-01-01 08:00", 8, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := NextWeekday(at(c.now), loc, c.hour)
			if !got.Equal(at(c.want)) {
				t.Fatalf("NextWeekday(%s) = %s, want %s", c.now, got, c.want)
			}
			if c.wantUTC != "" && got.UTC().Format(time.RFC3339) != c.wantUTC {
				t.Fatalf("in UTC %s, want %s", got.UTC().Format(time.RFC3339), c.wantUTC)
			}
		})
	}
	// The same instant in another zone gives that zone's calendar.
	ny, err := LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	fri := time.Date(2026, 11, 20, 23, 30, 0, 0, time.UTC) // Fri 18:30 in New York, Sat 00:30 in Paris
	if got := NextWeekday(fri, ny, 8); got.Weekday() != time.Monday || got.In(ny).Hour() != 8 {
		t.Fatalf("New York: %s", got)
	}
}

func TestNextBusinessHour(t *testing.T) {
	loc := paris(t)
	for _, c := range []struct{ now, want string }{
		{"2026-11-20 18:00", "2026-11-23 08:00"}, // Friday evening: Monday 08:00, not Saturday
		{"2026-11-20 16:10", "2026-11-20 17:00"},
		{"2026-11-20 17:00", "2026-11-23 08:00"},
		{"2026-11-23 07:59", "2026-11-23 08:00"},
		{"2026-11-23 08:00", "2026-11-23 09:00"},
		{"2026-11-21 12:00", "2026-11-23 08:00"},
		{"2026-03-27 17:30", "2026-03-30 08:00"},
	} {
		now, _ := time.ParseInLocation("2006-01-02 15:04", c.now, loc)
		want, _ := time.ParseInLocation("2006-01-02 15:04", c.want, loc)
		if got := NextBusinessHour(now, loc, OpenHour, CloseHour); !got.Equal(want) {
			t.Errorf("NextBusinessHour(%s) = %s, want %s", c.now, got.In(loc), c.want)
		}
	}
}

func TestBusinessHoursAndZone(t *testing.T) {
	loc := paris(t)
	for _, c := range []struct {
		now  string
		want bool
	}{
		{"2026-11-23 08:00", true}, {"2026-11-23 17:59", true}, {"2026-11-23 18:00", false},
		{"2026-11-23 07:59", false}, {"2026-11-21 10:00", false}, {"2026-11-22 10:00", false},
	} {
		now, _ := time.ParseInLocation("2006-01-02 15:04", c.now, loc)
		if got := InBusinessHours(now, loc, OpenHour, CloseHour); got != c.want {
			t.Errorf("InBusinessHours(%s) = %v", c.now, got)
		}
	}
	if _, err := LoadLocation("Mars/Olympus"); err == nil {
		t.Fatal("an unknown zone was accepted")
	}
}
