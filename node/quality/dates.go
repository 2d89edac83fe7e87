package quality

import (
	"strconv"
	"time"

	"github.com/xanode/xanode/node/registry"
)

// Dates in records may be partial (a year, a year and month). A rule
// reports only what is certain: a partial date stands for every day it
// could be, so it is judged by its earliest day where that helps it and
// its latest where that does.

// earliest is the first day a (partial) date may be.
func earliest(d registry.Date) time.Time {
	return time.Date(d.Year, time.Month(max(d.Month, 1)), max(d.Day, 1), 0, 0, 0, 0, time.UTC)
}

// latest is the last day a (partial) date may be.
func latest(d registry.Date) time.Time {
	switch {
	case d.Month == 0:
		return time.Date(d.Year, 12, 31, 0, 0, 0, 0, time.UTC)
	case d.Day == 0:
		return time.Date(d.Year, time.Month(d.Month)+1, 0, 0, 0, 0, 0, time.UTC)
	}
	return time.Date(d.Year, time.Month(d.Month), d.Day, 0, 0, 0, 0, time.UTC)
}

// day is a reference date as a time at midnight UTC.
func day(d registry.Date) time.Time { return earliest(d) }

// years is the number of whole years from a to b (negative when b is
// before a): the age at b of someone born on a.
func years(a, b time.Time) int {
	n := b.Year() - a.Year()
	if b.Month() < a.Month() || (b.Month() == a.Month() && b.Day() < a.Day()) {
		n--
	}
	return n
}

// minAge is the age a citizen born on birth certainly has reached on
// asOf; maxAge the age they may have reached.
func minAge(birth registry.Date, asOf registry.Date) int { return years(latest(birth), day(asOf)) }
func maxAge(birth registry.Date, asOf registry.Date) int { return years(earliest(birth), day(asOf)) }

// DateOf is the calendar day of t in Vietnam (UTC+7), where every office
// is: the reference date the city's rules judge an entry by.
func DateOf(t time.Time) registry.Date {
	t = t.UTC().Add(7 * time.Hour)
	return registry.Date{Year: t.Year(), Month: int(t.Month()), Day: t.Day()}
}

// dateValue parses a record's date field; the zero Date when unset.
func dateValue(c *registry.Citizen, f registry.Field) registry.Date {
	d, _ := registry.ParseDate(c.Get(f))
	return d
}

func itoa(n int) string { return strconv.Itoa(n) }
