package local

import (
	"strings"
	"testing"
	"time"
)

func TestCronNext(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		expr, tz string
		after    time.Time
		want     time.Time
	}{
		// Friday 18:00 in Paris: the next weekday run is Monday 08:00.
		{"cron(0 8-17 ? * MON-FRI *)", "Europe/Paris", time.Date(2025, 3, 7, 18, 0, 0, 0, paris), time.Date(2025, 3, 10, 8, 0, 0, 0, paris)},
		{"cron(0 8-17 ? * MON-FRI *)", "Europe/Paris", time.Date(2025, 3, 10, 9, 30, 0, 0, paris), time.Date(2025, 3, 10, 10, 0, 0, 0, paris)},
		{"cron(0 8 ? * MON-FRI *)", "Europe/Paris", time.Date(2025, 3, 10, 8, 0, 0, 0, paris), time.Date(2025, 3, 11, 8, 0, 0, 0, paris)},
		{"cron(15 * * * ? *)", "", time.Date(2025, 3, 8, 23, 15, 0, 0, time.UTC), time.Date(2025, 3, 9, 0, 15, 0, 0, time.UTC)},
		{"cron(0 7 * * ? *)", "", time.Date(2025, 12, 31, 8, 0, 0, 0, time.UTC), time.Date(2026, 1, 1, 7, 0, 0, 0, time.UTC)},
		{"rate(5 minutes)", "", time.Date(2025, 3, 8, 10, 2, 30, 0, time.UTC), time.Date(2025, 3, 8, 10, 7, 0, 0, time.UTC)},
	} {
		cr, err := ParseCron(c.expr, c.tz)
		if err != nil {
			t.Fatalf("%s: %v", c.expr, err)
		}
		if got := cr.Next(c.after); !got.Equal(c.want) {
			t.Errorf("%s after %s: %s, want %s", c.expr, c.after, got, c.want)
		}
	}
	for _, bad := range []string{"cron(0 8 * *)", "cron(61 * * * ? *)", "every day", "rate(0 minutes)", "cron(0 8 ? * FUNDAY *)"} {
		if _, err := ParseCron(bad, ""); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestScheduleByEvent(t *testing.T) {
	one := &FunctionSpec{Name: "recheck-documents", Schedules: []ScheduleSpec{{Name: "Weekdays", Input: `{"bucket":"DOCUMENT"}`}}}
	two := &FunctionSpec{Name: "recheck-transactions", Schedules: []ScheduleSpec{
		{Name: "PendingSweep", Input: `{"bucket":"PENDING"}`}, {Name: "Weekdays", Input: `{"bucket":"TRANSACTION"}`}}}
	for _, c := range []struct {
		f         *FunctionSpec
		event     string
		want, err string
	}{
		{one, "", "Weekdays", ""},
		{one, "Weekdays", "Weekdays", ""},
		{two, "Weekdays", "Weekdays", ""},
		{two, "PendingSweep", "PendingSweep", ""},
		{two, "", "", "recheck-transactions has 2 schedules (PendingSweep, Weekdays): name one"},
		{two, "Nightly", "", `no schedule "Nightly"`},
		{&FunctionSpec{Name: "get-user"}, "", "", "get-user has no schedule"},
	} {
		got, err := c.f.schedule(c.event)
		if got.Name != c.want || (err == nil) != (c.err == "") || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%s schedule(%q) = %q, %v; want %q, %q", c.f.Name, c.event, got.Name, err, c.want, c.err)
		}
	}
}
