package local

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Cron is a parsed EventBridge Scheduler expression: cron(min hour
// day-of-month month day-of-week year) or rate(n unit), in a time zone.
type Cron struct {
	fields [6]map[int]bool // nil = any
	rate   time.Duration
	loc    *time.Location
}

var (
	monthNames = map[string]int{"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6, "JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12}
	dayNames   = map[string]int{"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
	cronRanges = [6][2]int{{0, 59}, {0, 23}, {1, 31}, {1, 12}, {1, 7}, {1970, 2199}}
)

// ParseCron parses a schedule expression in the time zone tz ("" is UTC).
func ParseCron(expr, tz string) (*Cron, error) {
	loc := time.UTC
	if tz != "" {
		l, err := time.LoadLocation(tz)
		if err != nil {
			return nil, fmt.Errorf("schedule time zone %q: %w", tz, err)
		}
		loc = l
	}
	c := &Cron{loc: loc}
	if body, ok := strings.CutPrefix(expr, "rate("); ok {
		n, unit, _ := strings.Cut(strings.TrimSuffix(body, ")"), " ")
		v, err := strconv.Atoi(n)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("%s: bad rate", expr)
		}
		switch strings.TrimSuffix(unit, "s") {
		case "minute":
			c.rate = time.Duration(v) * time.Minute
		case "hour":
			c.rate = time.Duration(v) * time.Hour
		case "day":
			c.rate = time.Duration(v) * 24 * time.Hour
		default:
			return nil, fmt.Errorf("%s: bad rate unit", expr)
		}
		return c, nil
	}
	body, ok := strings.CutPrefix(expr, "cron(")
	if !ok || !strings.HasSuffix(body, ")") {
		return nil, fmt.Errorf("%q is neither cron(...) nor rate(...)", expr)
	}
	parts := strings.Fields(strings.TrimSuffix(body, ")"))
	if len(parts) != 6 {
		return nil, fmt.Errorf("%s: want 6 fields", expr)
	}
	for i, p := range parts {
		set, err := cronField(p, i)
		if err != nil {
			return nil, fmt.Errorf("%s: field %d: %w", expr, i+1, err)
		}
		c.fields[i] = set
	}
	return c, nil
}

func cronField(p string, i int) (map[int]bool, error) {
	if p == "*" || p == "?" {
		return nil, nil
	}
	lo, hi := cronRanges[i][0], cronRanges[i][1]
	names := map[string]int(nil)
	switch i {
	case 3:
		names = monthNames
	case 4:
		names = dayNames
	}
	num := func(s string) (int, error) {
		if v, ok := names[strings.ToUpper(s)]; ok {
			return v, nil
		}
		v, err := strconv.Atoi(s)
		if err != nil || v < lo || v > hi {
			return 0, fmt.Errorf("%q out of %d-%d", s, lo, hi)
		}
		return v, nil
	}
	set := map[int]bool{}
	for _, item := range strings.Split(p, ",") {
		rng, step := item, 1
		if r, s, ok := strings.Cut(item, "/"); ok {
			v, err := strconv.Atoi(s)
			if err != nil || v <= 0 {
				return nil, fmt.Errorf("bad step in %q", item)
			}
			rng, step = r, v
		}
		a, b := lo, hi
		switch {
		case rng == "*":
		case strings.Contains(rng, "-"):
			x, y, _ := strings.Cut(rng, "-")
			var err error
			if a, err = num(x); err != nil {
				return nil, err
			}
			if b, err = num(y); err != nil {
				return nil, err
			}
		default:
			v, err := num(rng)
			if err != nil {
				return nil, err
			}
			a = v
			if step == 1 {
				b = v
			}
		}
		for v := a; v <= b; v += step {
			set[v] = true
		}
	}
	return set, nil
}

// Next is the first firing strictly after t (the zero time if none within
// five years).
func (c *Cron) Next(t time.Time) time.Time {
	if c.rate > 0 {
		return t.Truncate(time.Minute).Add(c.rate)
	}
	at := t.In(c.loc).Truncate(time.Minute).Add(time.Minute)
	end := at.AddDate(5, 0, 0)
	for at.Before(end) {
		if !c.match(3, int(at.Month())) || !c.match(5, at.Year()) || !c.match(2, at.Day()) || !c.match(4, int(at.Weekday())+1) {
			at = time.Date(at.Year(), at.Month(), at.Day()+1, 0, 0, 0, 0, c.loc)
			continue
		}
		if !c.match(1, at.Hour()) {
			at = time.Date(at.Year(), at.Month(), at.Day(), at.Hour()+1, 0, 0, 0, c.loc)
			continue
		}
		if !c.match(0, at.Minute()) {
			at = at.Add(time.Minute)
			continue
		}
		return at
	}
	return time.Time{}
}

func (c *Cron) match(i, v int) bool { return c.fields[i] == nil || c.fields[i][v] }
