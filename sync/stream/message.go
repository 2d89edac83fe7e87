package stream

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"
)

// MaxFrame is the largest frame either side reads or writes, in bytes.
// Messages are small; a larger frame is a bug or an attack, and closes the
// connection with close code 1009 (message too big).
const MaxFrame = 64 << 10

// Bounds of a message's fields (see Validate).
const (
	MaxCommunes    = 64  // communes in one telemetry sample
	MaxSoftware    = 64  // bytes of Telemetry.Software
	MaxReason      = 256 // bytes of Message.Reason
	MaxConfigKeys  = 32  // entries of Message.Config
	MaxConfigKey   = 64  // bytes of a Config key
	MaxConfigValue = 256 // bytes of a Config value
	MaxChange      = 100 // bytes of Message.Change
	maxType        = 32  // bytes of Message.Type
)

// Message types. The city sends TypeSubset, TypeRevoked, TypeConfig,
// TypeRenew, TypeTrust and TypeDecision; the edge sends TypeTelemetry. A receiver ignores types it does
// not know and types that do not travel in its direction, so either side
// may add types without breaking older peers.
const (
	// TypeSubset: the subset of Commune changed; its new version is
	// Version. The edge pulls the delta (a hint: it pulls on its timer
	// anyway).
	TypeSubset = "subset"
	// TypeRevoked: city IT revoked this edge's certificate, for Reason. The
	// city closes the connection right after it.
	TypeRevoked = "revoked"
	// TypeConfig: settings the city pushes (e.g. "pull_every": "5m"). The
	// stream does not interpret them.
	TypeConfig = "config"
	// TypeRenew: the edge should renew its certificate now (e.g. the fleet
	// CA is being rotated), not wait for two thirds of its lifetime.
	TypeRenew = "renew"
	// TypeTelemetry: the edge's health, in Telemetry.
	TypeTelemetry = "telemetry"
	// TypeTrust: the city's CSCA trust set changed; its new version is
	// Version. The edge fetches the signed trust list (a hint: it asks on
	// its timer anyway).
	TypeTrust = "trust"
	// TypeDecision: city IT decided Change, one of this edge's changes
	// that was under review. The edge asks for the decisions on its
	// changes under review (a hint: it asks on its timer anyway).
	TypeDecision = "decision"
)

// Errors of the package.
var (
	// ErrMalformed: the bytes are not a message (too large, not JSON, a
	// field of the wrong type, no type). A peer that sends one has a bug
	// or is hostile: the connection is closed.
	ErrMalformed = errors.New("stream: malformed message")
	// ErrInvalid: a message of a known type whose content is out of bounds
	// (e.g. a commune code that is not 5 digits). It is dropped and logged;
	// the connection stays.
	ErrInvalid = errors.New("stream: invalid message")
	// ErrRunning: Dialer.Run was called while it already runs.
	ErrRunning = errors.New("stream: dialer already running")
)

// Message is one frame: a JSON object in a websocket text message. Only
// the fields of its Type are meaningful; others are ignored.
type Message struct {
	Type      string            `json:"type"`
	Commune   string            `json:"commune,omitempty"`   // TypeSubset: the commune whose subset changed
	Version   uint64            `json:"version,omitempty"`   // TypeSubset: its new version; TypeTrust: the trust version
	Reason    string            `json:"reason,omitempty"`    // TypeRevoked: why, for the edge's log
	Config    map[string]string `json:"config,omitempty"`    // TypeConfig: settings the city pushes
	Telemetry *Telemetry        `json:"telemetry,omitempty"` // TypeTelemetry
	Change    string            `json:"change,omitempty"`    // TypeDecision: the change ID (node/seq)
	// Time is when the city sent the message, by the city node's clock
	// (the Hub sets it): the edge keeps the latest city time it saw as a
	// floor under its own clock. Zero on the edge's messages.
	Time time.Time `json:"time,omitzero"`
}

// Telemetry is an edge's health as it samples it. Times are the edge's
// clock; Received is the city's.
type Telemetry struct {
	Time           time.Time `json:"time"`     // edge clock when sampled; the Dialer sets it when zero
	Software       string    `json:"software"` // version string
	Communes       []string  `json:"communes"` // the communes whose subsets the edge holds
	SubsetVersion  uint64    `json:"subset_version"`
	Outbox         int       `json:"outbox"`                   // changes not yet pushed
	OldestUnsynced time.Time `json:"oldest_unsynced,omitzero"` // when the oldest of them was recorded
	LastSynced     time.Time `json:"last_synced,omitzero"`     // last push or pull that worked
	CertExpiry     time.Time `json:"cert_expiry,omitzero"`     // of the edge's node certificate
	DiskFree       uint64    `json:"disk_free"`                // bytes free on the data folder's filesystem
	Findings       uint64    `json:"findings"`                 // data-quality findings so far (card vs record)
	Stale          bool      `json:"stale"`                    // the subset is past its expiry
	Frozen         bool      `json:"frozen"`                   // the subset is past its hard limit
	TrustVersion   uint64    `json:"trust_version,omitempty"`  // of the signed CSCA trust list held
	Received       time.Time `json:"-"`                        // set by the Hub on receipt (city clock); never sent
}

// Decode parses one frame. It is strict about form (at most MaxFrame
// bytes, one JSON object, every known field of its JSON type, a type
// present) and lenient about content: unknown fields and unknown types
// pass, so that newer peers can add them, and field bounds are Validate's
// business. Every error wraps ErrMalformed.
func Decode(b []byte) (*Message, error) {
	if len(b) > MaxFrame {
		return nil, fmt.Errorf("%w: %d bytes, more than %d", ErrMalformed, len(b), MaxFrame)
	}
	var m Message
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if m.Type == "" {
		return nil, fmt.Errorf("%w: no type", ErrMalformed)
	}
	if len(m.Type) > maxType || !printableASCII(m.Type) {
		return nil, fmt.Errorf("%w: type %.40q is not up to %d printable ASCII bytes", ErrMalformed, m.Type, maxType)
	}
	return &m, nil
}

// Encode is the frame of m. It refuses a message that Decode would refuse
// or that Validate finds invalid, so a peer never receives either.
func Encode(m Message) ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if len(b) > MaxFrame {
		return nil, fmt.Errorf("%w: %s message of %d bytes, more than %d", ErrInvalid, m.Type, len(b), MaxFrame)
	}
	return b, nil
}

// Known reports whether the message's type is one this package defines.
func (m *Message) Known() bool {
	switch m.Type {
	case TypeSubset, TypeRevoked, TypeConfig, TypeRenew, TypeTelemetry, TypeTrust, TypeDecision:
		return true
	}
	return false
}

// fromCity reports whether the type travels from the city to the edge.
func (m *Message) fromCity() bool {
	return m.Known() && m.Type != TypeTelemetry
}

// Validate checks the fields of a known type against their bounds. A
// message of an unknown type is valid if its type is well formed: its
// receiver ignores it. Errors wrap ErrInvalid.
func (m *Message) Validate() error {
	if m.Type == "" || len(m.Type) > maxType || !printableASCII(m.Type) {
		return fmt.Errorf("%w: type %.40q is not 1 to %d printable ASCII bytes", ErrInvalid, m.Type, maxType)
	}
	if !m.Time.IsZero() && (m.Time.Before(minTime) || !m.Time.Before(maxTime)) {
		return fmt.Errorf("%w: message time %s is not between %d and %d", ErrInvalid, m.Time.Format(time.RFC3339), minTime.Year(), maxTime.Year())
	}
	switch m.Type {
	case TypeSubset:
		if !ValidCommune(m.Commune) {
			return fmt.Errorf("%w: subset commune %.40q is not 5 digits", ErrInvalid, m.Commune)
		}
		if m.Version == 0 {
			return fmt.Errorf("%w: subset of %s without a version", ErrInvalid, m.Commune)
		}
	case TypeDecision:
		if m.Change == "" || len(m.Change) > MaxChange || !printableASCII(m.Change) {
			return fmt.Errorf("%w: decision on change %.80q: want 1 to %d printable ASCII bytes", ErrInvalid, m.Change, MaxChange)
		}
	case TypeTrust:
		if m.Version == 0 {
			return fmt.Errorf("%w: trust message without a version", ErrInvalid)
		}
	case TypeRevoked:
		if len(m.Reason) > MaxReason || !cleanText(m.Reason) {
			return fmt.Errorf("%w: revocation reason is not up to %d bytes of UTF-8 text without control characters", ErrInvalid, MaxReason)
		}
	case TypeConfig:
		if len(m.Config) == 0 || len(m.Config) > MaxConfigKeys {
			return fmt.Errorf("%w: config has %d settings, want 1 to %d", ErrInvalid, len(m.Config), MaxConfigKeys)
		}
		for k, v := range m.Config {
			if !validKey(k) {
				return fmt.Errorf("%w: config key %.70q is not 1 to %d bytes of a-z, 0-9, '_', '.', '-'", ErrInvalid, k, MaxConfigKey)
			}
			if len(v) > MaxConfigValue || !cleanText(v) {
				return fmt.Errorf("%w: config %s: value is not up to %d bytes of text without control characters", ErrInvalid, k, MaxConfigValue)
			}
		}
	case TypeTelemetry:
		if m.Telemetry == nil {
			return fmt.Errorf("%w: telemetry message without telemetry", ErrInvalid)
		}
		return m.Telemetry.Validate()
	}
	return nil
}

// Plausible times: a clock outside these years is broken, and a time
// outside them is worth a log line, not a health figure.
var (
	minTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// Validate checks the bounds of a sample: a plausible sampling time, the
// other times zero or plausible, no negative outbox, a software version of
// at most MaxSoftware printable ASCII bytes, and at most MaxCommunes
// distinct 5-digit commune codes. Errors wrap ErrInvalid.
func (t *Telemetry) Validate() error {
	if t.Time.IsZero() || t.Time.Before(minTime) || !t.Time.Before(maxTime) {
		return fmt.Errorf("%w: telemetry time %s is not between %d and %d", ErrInvalid, t.Time.Format(time.RFC3339), minTime.Year(), maxTime.Year())
	}
	for _, f := range []struct {
		name string
		at   time.Time
	}{{"oldest_unsynced", t.OldestUnsynced}, {"last_synced", t.LastSynced}, {"cert_expiry", t.CertExpiry}} {
		if !f.at.IsZero() && (f.at.Before(minTime) || !f.at.Before(maxTime)) {
			return fmt.Errorf("%w: telemetry %s %s is not between %d and %d", ErrInvalid, f.name, f.at.Format(time.RFC3339), minTime.Year(), maxTime.Year())
		}
	}
	if len(t.Software) > MaxSoftware || !printableASCII(t.Software) {
		return fmt.Errorf("%w: telemetry software %.80q is not up to %d printable ASCII bytes", ErrInvalid, t.Software, MaxSoftware)
	}
	if t.Outbox < 0 {
		return fmt.Errorf("%w: telemetry outbox %d is negative", ErrInvalid, t.Outbox)
	}
	if len(t.Communes) > MaxCommunes {
		return fmt.Errorf("%w: telemetry names %d communes, at most %d", ErrInvalid, len(t.Communes), MaxCommunes)
	}
	seen := make(map[string]bool, len(t.Communes))
	for _, c := range t.Communes {
		if !ValidCommune(c) {
			return fmt.Errorf("%w: telemetry commune %.40q is not 5 digits", ErrInvalid, c)
		}
		if seen[c] {
			return fmt.Errorf("%w: telemetry names commune %s twice", ErrInvalid, c)
		}
		seen[c] = true
	}
	return nil
}

// ValidCommune reports whether c is a commune code: 5 ASCII digits.
func ValidCommune(c string) bool {
	if len(c) != 5 {
		return false
	}
	for i := range len(c) {
		if c[i] < '0' || c[i] > '9' {
			return false
		}
	}
	return true
}

func printableASCII(s string) bool {
	for i := range len(s) {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// cleanText: valid UTF-8 (reasons may be Vietnamese) without control
// characters, which would hide in a log line.
func cleanText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

func validKey(k string) bool {
	if k == "" || len(k) > MaxConfigKey {
		return false
	}
	for i := range len(k) {
		c := k[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}
