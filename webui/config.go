package webui

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Config of the officer UI. Zero durations and counts take the value of
// DefaultConfig.
type Config struct {
	Officers Officers // required
	Registry Registry // required
	Cards    Cards    // nil: no reader attached; the tap button is not shown
	QR       QR       // nil: no QR form
	Events   Events   // nil: no live updates; pages show the state when reloaded
	Units    Units    // nil: addresses are typed whole, without a picker

	// Secure marks cookies Secure (and gives them the __Host- prefix) and
	// sends Strict-Transport-Security: set it whenever the UI is served
	// over TLS.
	Secure bool
	// Insecure shows every page with a warning that passwords and records
	// cross the office network unencrypted: set it when the UI is served
	// over plain HTTP beyond loopback (xanode edge --insecure-http).
	Insecure bool
	// HelpContact says whom an officer should call when the box refuses
	// them (locked out of logging in, data frozen), e.g. "Chị Hoa (phụ
	// trách) 0292 3820 123 · CNTT thành phố 1900 1234", shown as written
	// in every language; "": the catalog's "login.help.default" (the
	// commune's supervisor or the city IT hotline).
	HelpContact string
	// Now is the clock; nil: time.Now.
	Now func() time.Time
	// Log receives logins, refusals and internal errors; nil: slog.Default().
	Log *slog.Logger
	// Location is the time zone of displayed times; nil: Vietnam (UTC+7,
	// fixed, so that the edge box needs no tzdata).
	Location *time.Location

	SessionIdle time.Duration // a session unused this long ends
	SessionMax  time.Duration // a session ends this long after login, used or not
	// LoginFailures is how many refused logins a user name may have in
	// LoginWindow, from any address; AddressFailures how many one client
	// address may have, for any user names. The address limit is much
	// looser, so that the officers of an office behind one shared address
	// do not lock each other out, yet a guesser that rotates user names
	// is stopped. A try counts from the moment its password check starts.
	LoginFailures   int
	AddressFailures int
	LoginWindow     time.Duration
	TapTimeout      time.Duration // longest wait for Cards.Tap
	RecentChanges   int           // changes listed on the outbox page
	SearchResults   int           // search results shown; more asks the officer to narrow the search
	HistoryItems    int           // changes listed in a record's history
	PingEvery       time.Duration // websocket keep-alive; also how often a live page rechecks its session
}

// DefaultConfig returns the defaults, without dependencies.
func DefaultConfig() Config {
	return Config{
		SessionIdle:     30 * time.Minute,
		SessionMax:      12 * time.Hour,
		LoginFailures:   5,
		AddressFailures: 100,
		LoginWindow:     15 * time.Minute,
		TapTimeout:      20 * time.Second,
		RecentChanges:   25,
		SearchResults:   20,
		HistoryItems:    20,
		PingEvery:       30 * time.Second,
	}
}

// vietnam is UTC+7 all year (no daylight saving since 1975).
var vietnam = time.FixedZone("ICT", 7*60*60)

// withDefaults fills zero fields.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	if c.Location == nil {
		c.Location = vietnam
	}
	setDur := func(v *time.Duration, def time.Duration) {
		if *v == 0 {
			*v = def
		}
	}
	setDur(&c.SessionIdle, d.SessionIdle)
	setDur(&c.SessionMax, d.SessionMax)
	setDur(&c.LoginWindow, d.LoginWindow)
	setDur(&c.TapTimeout, d.TapTimeout)
	setDur(&c.PingEvery, d.PingEvery)
	setInt := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	setInt(&c.LoginFailures, d.LoginFailures)
	setInt(&c.AddressFailures, d.AddressFailures)
	setInt(&c.RecentChanges, d.RecentChanges)
	setInt(&c.SearchResults, d.SearchResults)
	setInt(&c.HistoryItems, d.HistoryItems)
	return c
}

// Validate checks required dependencies and ranges.
func (c Config) Validate() error {
	var errs []error
	if c.Officers == nil {
		errs = append(errs, errors.New("webui: Config.Officers is required"))
	}
	if c.Registry == nil {
		errs = append(errs, errors.New("webui: Config.Registry is required"))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"SessionIdle", c.SessionIdle}, {"SessionMax", c.SessionMax}, {"LoginWindow", c.LoginWindow},
		{"TapTimeout", c.TapTimeout}, {"PingEvery", c.PingEvery},
	} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("webui: Config.%s is %v, must not be negative", d.name, d.v))
		}
	}
	if c.SessionMax > 0 && c.SessionIdle > c.SessionMax {
		errs = append(errs, fmt.Errorf("webui: Config.SessionIdle %v exceeds SessionMax %v", c.SessionIdle, c.SessionMax))
	}
	if c.LoginFailures < 0 || c.LoginFailures > 1000 {
		errs = append(errs, fmt.Errorf("webui: Config.LoginFailures is %d, want 1..1000", c.LoginFailures))
	}
	if c.AddressFailures < 0 || c.AddressFailures > 100000 {
		errs = append(errs, fmt.Errorf("webui: Config.AddressFailures is %d, want 1..100000", c.AddressFailures))
	}
	if c.AddressFailures > 0 && c.AddressFailures < c.LoginFailures {
		errs = append(errs, fmt.Errorf("webui: Config.AddressFailures %d is below LoginFailures %d: one user would lock the whole address out",
			c.AddressFailures, c.LoginFailures))
	}
	if len(c.HelpContact) > 500 {
		errs = append(errs, fmt.Errorf("webui: Config.HelpContact has %d bytes, want at most 500", len(c.HelpContact)))
	}
	for _, n := range []struct {
		name string
		v    int
	}{{"RecentChanges", c.RecentChanges}, {"SearchResults", c.SearchResults}, {"HistoryItems", c.HistoryItems}} {
		if n.v < 0 || n.v > 1000 {
			errs = append(errs, fmt.Errorf("webui: Config.%s is %d, want 1..1000", n.name, n.v))
		}
	}
	return errors.Join(errs...)
}
