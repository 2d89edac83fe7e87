package fleetui

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/xanode/xanode/webui/i18n"
)

// minSecret is the shortest Config.Secret: it keys HMAC-SHA256.
const minSecret = 32

// Config of the fleet UI. Zero durations and sizes take the value of
// DefaultConfig.
type Config struct {
	Fleet Fleet // required
	// Secret keys the MACs of session cookies and CSRF tokens; at least 32
	// random bytes. Make it new on every start: sessions then end with the
	// process.
	Secret []byte
	// CityURL is the city API address an edge enrolls against, shown in the
	// enrollment command. Required.
	CityURL string
	// Lang is the language of a browser that chose none; "": Vietnamese.
	Lang i18n.Lang
	// Now is the clock; nil: time.Now.
	Now func() time.Time
	// Log receives logins, refusals and city errors; nil: slog.Default().
	Log *slog.Logger
	// Location is the time zone of displayed times; nil: Vietnam (UTC+7).
	Location *time.Location

	RefreshEvery time.Duration // how often open dashboards get the node table
	// FlagAfter is how long a node may stay unseen before the city flags
	// it; shown in the legend only (the city decides). 0: not shown.
	FlagAfter   time.Duration
	CallTimeout time.Duration // longest wait for one Fleet call
	LinkTTL     time.Duration // a login link not used this long is void
	SessionMax  time.Duration // a session ends this long after login
	PingEvery   time.Duration // websocket keep-alive and session recheck

	// Thresholds that make a node a problem on the dashboard.
	CertWarn   time.Duration // certificate expires within this
	OutboxWarn time.Duration // oldest unsynced change is older than this
	LagWarn    time.Duration // behind the city and not synced for this long
	DiskWarn   uint64        // fewer bytes free than this

	AuditPage int // audit entries per page
}

// DefaultConfig returns the defaults, without dependencies.
func DefaultConfig() Config {
	return Config{
		Lang:         i18n.Vietnamese,
		RefreshEvery: 2 * time.Second,
		CallTimeout:  15 * time.Second,
		LinkTTL:      time.Hour,
		SessionMax:   12 * time.Hour,
		PingEvery:    30 * time.Second,
		CertWarn:     7 * 24 * time.Hour,
		OutboxWarn:   time.Hour,
		LagWarn:      10 * time.Minute,
		DiskWarn:     1 << 30,
		AuditPage:    30,
	}
}

// vietnam is UTC+7 all year, fixed so that no tzdata is needed.
var vietnam = time.FixedZone("ICT", 7*60*60)

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Lang == "" {
		c.Lang = d.Lang
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	if c.Location == nil {
		c.Location = vietnam
	}
	for _, f := range []struct{ v, def *time.Duration }{
		{&c.RefreshEvery, &d.RefreshEvery}, {&c.CallTimeout, &d.CallTimeout}, {&c.LinkTTL, &d.LinkTTL},
		{&c.SessionMax, &d.SessionMax}, {&c.PingEvery, &d.PingEvery}, {&c.CertWarn, &d.CertWarn},
		{&c.OutboxWarn, &d.OutboxWarn}, {&c.LagWarn, &d.LagWarn},
	} {
		if *f.v == 0 {
			*f.v = *f.def
		}
	}
	if c.DiskWarn == 0 {
		c.DiskWarn = d.DiskWarn
	}
	if c.AuditPage == 0 {
		c.AuditPage = d.AuditPage
	}
	return c
}

// Validate checks required fields and ranges.
func (c Config) Validate() error {
	var errs []error
	if c.Fleet == nil {
		errs = append(errs, errors.New("fleetui: Config.Fleet is required"))
	}
	if len(c.Secret) < minSecret {
		errs = append(errs, fmt.Errorf("fleetui: Config.Secret has %d bytes, want at least %d", len(c.Secret), minSecret))
	}
	if u, err := url.Parse(c.CityURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, fmt.Errorf("fleetui: Config.CityURL %q is not an http(s) URL", c.CityURL))
	}
	if _, ok := i18n.Parse(string(c.Lang)); !ok && c.Lang != "" {
		errs = append(errs, fmt.Errorf("fleetui: Config.Lang %q is not one of %v", c.Lang, i18n.Langs()))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"RefreshEvery", c.RefreshEvery}, {"FlagAfter", c.FlagAfter}, {"CallTimeout", c.CallTimeout},
		{"LinkTTL", c.LinkTTL}, {"SessionMax", c.SessionMax}, {"PingEvery", c.PingEvery},
		{"CertWarn", c.CertWarn}, {"OutboxWarn", c.OutboxWarn}, {"LagWarn", c.LagWarn},
	} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("fleetui: Config.%s is %v, must not be negative", d.name, d.v))
		}
	}
	if c.RefreshEvery > 0 && c.RefreshEvery < 10*time.Millisecond {
		errs = append(errs, fmt.Errorf("fleetui: Config.RefreshEvery %v is below 10ms", c.RefreshEvery))
	}
	if c.AuditPage < 0 || c.AuditPage > 1000 {
		errs = append(errs, fmt.Errorf("fleetui: Config.AuditPage is %d, want 1..1000", c.AuditPage))
	}
	return errors.Join(errs...)
}
