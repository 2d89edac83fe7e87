package fleetui

import (
	"strconv"
	"strings"
	"time"

	"github.com/xanode/xanode/webui/i18n"
)

// timeLayout is the same in both languages: city IT in Vietnam reads
// day/month whatever the UI language.
const timeLayout = "02/01/2006 15:04"

// formatTime shows t in loc; a zero time (unknown) shows as a dash.
func formatTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "–"
	}
	return t.In(loc).Format(timeLayout)
}

// age says how long d is, in the coarsest unit that is still useful.
func age(l i18n.Lang, d time.Duration) string {
	switch {
	case d < time.Minute:
		return l.T("fleet.age.seconds", max(0, int(d/time.Second)))
	case d < time.Hour:
		return l.T("fleet.age.minutes", int(d/time.Minute))
	case d < 48*time.Hour:
		return l.T("fleet.age.hours", int(d/time.Hour))
	}
	return l.T("fleet.age.days", int(d/(24*time.Hour)))
}

// ago says how long before now t was; "" for an unknown time.
func ago(l i18n.Lang, now, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return l.T("fleet.ago", age(l, now.Sub(t)))
}

// decimal formats v with one decimal in the language's way: "1,5" in
// Vietnamese, "1.5" in English.
func decimal(l i18n.Lang, v float64) string {
	s := strconv.FormatFloat(v, 'f', 1, 64)
	if l != i18n.English {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// size formats a byte count in binary units.
func size(l i18n.Lang, n uint64) string {
	const (
		kib = 1 << 10
		mib = 1 << 20
		gib = 1 << 30
		tib = 1 << 40
	)
	switch {
	case n >= tib:
		return decimal(l, float64(n)/tib) + " TiB"
	case n >= gib:
		return decimal(l, float64(n)/gib) + " GiB"
	case n >= mib:
		return decimal(l, float64(n)/mib) + " MiB"
	case n >= kib:
		return decimal(l, float64(n)/kib) + " KiB"
	}
	return strconv.FormatUint(n, 10) + " B"
}

// count formats an unsigned count with the language's separator.
func count(l i18n.Lang, n uint64) string {
	if n > 1<<62 {
		return strconv.FormatUint(n, 10)
	}
	return l.Int(int64(n))
}
