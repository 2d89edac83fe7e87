package stream

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestDecode(t *testing.T) {
	big := `{"type":"config","config":{"k":"` + strings.Repeat("x", MaxFrame) + `"}}`
	tests := []struct {
		name string
		in   string
		want *Message // nil: ErrMalformed
	}{
		{"subset", `{"type":"subset","commune":"00001","version":42}`, &Message{Type: TypeSubset, Commune: "00001", Version: 42}},
		{"unknown type passes", `{"type":"future","extra":[1,2]}`, &Message{Type: "future"}},
		{"unknown field passes", `{"type":"renew","later":{"a":1}}`, &Message{Type: TypeRenew}},
		{"whitespace", " \n{\"type\":\"renew\"}\n", &Message{Type: TypeRenew}},
		{"telemetry", `{"type":"telemetry","telemetry":{"time":"2025-07-01T08:00:00Z","outbox":-1}}`,
			&Message{Type: TypeTelemetry, Telemetry: &Telemetry{Time: time.Date(2025, 7, 1, 8, 0, 0, 0, time.UTC), Outbox: -1}}},
		{"too large", big, nil},
		{"empty", ``, nil},
		{"not json", `type=subset`, nil},
		{"truncated", `{"type":"subset"`, nil},
		{"trailing data", `{"type":"renew"}{"type":"renew"}`, nil},
		{"array", `[{"type":"renew"}]`, nil},
		{"null", `null`, nil},
		{"no type", `{"commune":"00001"}`, nil},
		{"empty type", `{"type":""}`, nil},
		{"type not a string", `{"type":5}`, nil},
		{"type with control", `{"type":"sub\nset"}`, nil},
		{"type too long", `{"type":"` + strings.Repeat("a", maxType+1) + `"}`, nil},
		{"version negative", `{"type":"subset","version":-1}`, nil},
		{"version fraction", `{"type":"subset","version":1.5}`, nil},
		{"config not strings", `{"type":"config","config":{"a":1}}`, nil},
		{"telemetry not an object", `{"type":"telemetry","telemetry":"ok"}`, nil},
		{"bad time", `{"type":"telemetry","telemetry":{"time":"yesterday"}}`, nil},
		{"communes not a list", `{"type":"telemetry","telemetry":{"communes":"00001"}}`, nil},
		{"stale not a bool", `{"type":"telemetry","telemetry":{"stale":"yes"}}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Decode([]byte(tt.in))
			if tt.want == nil {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("Decode = %+v, %v; want ErrMalformed", m, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(m, tt.want) {
				t.Fatalf("Decode = %+v %+v, want %+v %+v", m, m.Telemetry, tt.want, tt.want.Telemetry)
			}
		})
	}
}

func TestMessageValidate(t *testing.T) {
	manyKeys := map[string]string{}
	for i := range MaxConfigKeys + 1 {
		manyKeys[fmt.Sprintf("k%d", i)] = "v"
	}
	tests := []struct {
		name string
		m    Message
		ok   bool
	}{
		{"subset", Message{Type: TypeSubset, Commune: "00001", Version: 1}, true},
		{"subset short commune", Message{Type: TypeSubset, Commune: "0001", Version: 1}, false},
		{"subset letters", Message{Type: TypeSubset, Commune: "0000a", Version: 1}, false},
		{"subset no version", Message{Type: TypeSubset, Commune: "00001"}, false},
		{"revoked", Message{Type: TypeRevoked, Reason: "máy bị mất cắp"}, true},
		{"revoked empty reason", Message{Type: TypeRevoked}, true},
		{"revoked long reason", Message{Type: TypeRevoked, Reason: strings.Repeat("x", MaxReason+1)}, false},
		{"revoked control", Message{Type: TypeRevoked, Reason: "a\x1b[2Jb"}, false},
		{"revoked bad utf8", Message{Type: TypeRevoked, Reason: "a\xffb"}, false},
		{"config", Message{Type: TypeConfig, Config: map[string]string{"pull_every": "5m", "log.level": "info"}}, true},
		{"config empty", Message{Type: TypeConfig}, false},
		{"config too many", Message{Type: TypeConfig, Config: manyKeys}, false},
		{"config bad key", Message{Type: TypeConfig, Config: map[string]string{"Pull Every": "5m"}}, false},
		{"config empty key", Message{Type: TypeConfig, Config: map[string]string{"": "5m"}}, false},
		{"config long key", Message{Type: TypeConfig, Config: map[string]string{strings.Repeat("k", MaxConfigKey+1): "5m"}}, false},
		{"config long value", Message{Type: TypeConfig, Config: map[string]string{"k": strings.Repeat("v", MaxConfigValue+1)}}, false},
		{"config control value", Message{Type: TypeConfig, Config: map[string]string{"k": "a\nb"}}, false},
		{"renew", Message{Type: TypeRenew}, true},
		{"trust", Message{Type: TypeTrust, Version: 57}, true},
		{"trust without a version", Message{Type: TypeTrust}, false},
		{"decision", Message{Type: TypeDecision, Change: "edge-92101/17"}, true},
		{"decision without a change", Message{Type: TypeDecision}, false},
		{"decision with a control character", Message{Type: TypeDecision, Change: "edge/1\n"}, false},
		{"decision on a long change ID", Message{Type: TypeDecision, Change: strings.Repeat("e", MaxChange+1)}, false},
		{"telemetry", Message{Type: TypeTelemetry, Telemetry: validTelemetry("v1")}, true},
		{"telemetry missing", Message{Type: TypeTelemetry}, false},
		{"unknown type", Message{Type: "future"}, true},
		{"no type", Message{}, false},
		{"type with space", Message{Type: "a\tb"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.m.Validate()
			if tt.ok != (err == nil) {
				t.Fatalf("Validate = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalid) {
				t.Fatalf("Validate = %v, not ErrInvalid", err)
			}
			b, encErr := Encode(tt.m)
			if (encErr == nil) != tt.ok {
				t.Fatalf("Encode = %v, want ok=%v", encErr, tt.ok)
			}
			if encErr == nil {
				if _, err := Decode(b); err != nil {
					t.Fatalf("Decode(Encode) = %v", err)
				}
			}
		})
	}
}

func TestTelemetryValidate(t *testing.T) {
	many := make([]string, MaxCommunes+1)
	for i := range many {
		many[i] = fmt.Sprintf("%05d", i)
	}
	tests := []struct {
		name string
		edit func(*Telemetry)
		ok   bool
	}{
		{"valid", func(*Telemetry) {}, true},
		{"no communes", func(t *Telemetry) { t.Communes = nil }, true},
		{"64 communes", func(t *Telemetry) { t.Communes = many[:MaxCommunes] }, true},
		{"empty software", func(t *Telemetry) { t.Software = "" }, true},
		{"zero time", func(t *Telemetry) { t.Time = time.Time{} }, false},
		{"time before 2000", func(t *Telemetry) { t.Time = time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC) }, false},
		{"time after 2200", func(t *Telemetry) { t.Time = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC) }, false},
		{"oldest unsynced implausible", func(t *Telemetry) { t.OldestUnsynced = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC) }, false},
		{"last synced implausible", func(t *Telemetry) { t.LastSynced = time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC) }, false},
		{"cert expiry implausible", func(t *Telemetry) { t.CertExpiry = time.Date(1, 1, 2, 0, 0, 0, 0, time.UTC) }, false},
		{"negative outbox", func(t *Telemetry) { t.Outbox = -1 }, false},
		{"65 communes", func(t *Telemetry) { t.Communes = many }, false},
		{"commune 4 digits", func(t *Telemetry) { t.Communes = []string{"0001"} }, false},
		{"commune 6 digits", func(t *Telemetry) { t.Communes = []string{"000001"} }, false},
		{"commune non-ASCII digits", func(t *Telemetry) { t.Communes = []string{"٠٠٠٠١"} }, false},
		{"commune twice", func(t *Telemetry) { t.Communes = []string{"00001", "00001"} }, false},
		{"software too long", func(t *Telemetry) { t.Software = strings.Repeat("v", MaxSoftware+1) }, false},
		{"software control", func(t *Telemetry) { t.Software = "v1\n" }, false},
		{"software non-ASCII", func(t *Telemetry) { t.Software = "phiên bản 1" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tm := validTelemetry("xanode 1.0")
			tt.edit(tm)
			err := tm.Validate()
			if tt.ok != (err == nil) {
				t.Fatalf("Validate = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalid) {
				t.Fatalf("Validate = %v, not ErrInvalid", err)
			}
		})
	}
}

// TestTelemetryJSON pins the wire names the city's fleet UI and older
// edges rely on, and that Received never travels.
func TestTelemetryJSON(t *testing.T) {
	tm := validTelemetry("v1")
	tm.Stale, tm.Frozen = true, true
	tm.Received = time.Now()
	b := mustEncode(t, Message{Type: TypeTelemetry, Telemetry: tm})
	want := `{"type":"telemetry","telemetry":{"time":"2025-07-01T08:00:00Z","software":"v1","communes":["00001"],` +
		`"subset_version":7,"outbox":2,"oldest_unsynced":"2025-07-01T07:00:00Z","disk_free":1073741824,"findings":0,"stale":true,"frozen":true}}`
	if string(b) != want {
		t.Fatalf("encoded\n%s\nwant\n%s", b, want)
	}
}

func TestEncodeTooLarge(t *testing.T) {
	// Validate checks only the fields of the message's type; a frame
	// larger than MaxFrame because of others must still not be sent.
	m := Message{Type: TypeRenew, Reason: strings.Repeat("x", MaxFrame)}
	if err := m.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if _, err := Encode(m); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Encode of a frame over MaxFrame = %v, want ErrInvalid", err)
	}
}

func TestCleanReason(t *testing.T) {
	long := strings.Repeat("ắ", MaxReason) // 3 bytes each: the cut falls inside one
	tests := []struct{ in, want string }{
		{"box stolen", "box stolen"},
		{"line\nbreak\tand\x00nul", "line break and nul"},
		{"bad \xff byte", "bad \uFFFD byte"},
		{long, long[:MaxReason-MaxReason%3]},
	}
	for _, tt := range tests {
		got := cleanReason(tt.in)
		if got != tt.want {
			t.Errorf("cleanReason(%.20q) = %.20q (%d bytes), want %.20q", tt.in, got, len(got), tt.want)
		}
		if err := (&Message{Type: TypeRevoked, Reason: got}).Validate(); err != nil {
			t.Errorf("cleanReason(%.20q) is not a valid reason: %v", tt.in, err)
		}
	}
}

func TestTruncateReason(t *testing.T) {
	for _, in := range []string{"", "short", strings.Repeat("a", 200), strings.Repeat("đ", 100), "x" + strings.Repeat("ắ", 60)} {
		got := truncateReason(in)
		if len(got) > 123 || !utf8.ValidString(got) || !strings.HasPrefix(in, got) {
			t.Errorf("truncateReason(%.20q) = %.20q: %d bytes, valid UTF-8 %v", in, got, len(got), utf8.ValidString(got))
		}
		if len(in) <= 123 && got != in {
			t.Errorf("truncateReason(%q) changed a short reason to %q", in, got)
		}
	}
}

func TestBackoff(t *testing.T) {
	const lo, hi = 100 * time.Millisecond, 3 * time.Second
	top := func(n int64) int64 { return n - 1 } // the largest value rnd may give
	bottom := func(int64) int64 { return 0 }
	tests := []struct {
		name     string
		attempt  int
		revoked  bool
		min, max time.Duration // inclusive bounds of the wait
	}{
		{"first", 0, false, 0, lo - 1},
		{"second", 1, false, 0, 2*lo - 1},
		{"fifth", 4, false, 0, 16*lo - 1},
		{"capped", 5, false, 0, hi - 1},
		{"huge attempt", 1000, false, 0, hi - 1},
		{"revoked", 0, true, hi / 2, hi - 1},
		{"revoked later", 50, true, hi / 2, hi - 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := backoff(tt.attempt, lo, hi, tt.revoked, bottom); got != tt.min {
				t.Errorf("smallest wait = %v, want %v", got, tt.min)
			}
			if got := backoff(tt.attempt, lo, hi, tt.revoked, top); got != tt.max {
				t.Errorf("largest wait = %v, want %v", got, tt.max)
			}
		})
	}
}

func TestDialerConfigValidate(t *testing.T) {
	tlsConf := newKit(t).edgeTLS(t, "edge-1")
	tests := []struct {
		name string
		cfg  DialerConfig
		ok   bool
	}{
		{"https with TLS", DialerConfig{URLs: []string{"https://city-1:8443", "https://city-2:8443/base/"}, TLS: tlsConf}, true},
		{"http without TLS", DialerConfig{URLs: []string{"http://127.0.0.1:8080"}}, true},
		{"no URL", DialerConfig{TLS: tlsConf}, false},
		{"http with TLS", DialerConfig{URLs: []string{"http://city-1"}, TLS: tlsConf}, false},
		{"ws scheme", DialerConfig{URLs: []string{"wss://city-1"}}, false},
		{"relative", DialerConfig{URLs: []string{"city-1:8443"}}, false},
		{"bad path", DialerConfig{URLs: []string{"https://city-1"}, TLS: tlsConf, Path: "v1/stream"}, false},
		{"negative duration", DialerConfig{URLs: []string{"https://city-1"}, TLS: tlsConf, PingEvery: -time.Second}, false},
		{"min above max", DialerConfig{URLs: []string{"https://city-1"}, TLS: tlsConf, MinBackoff: time.Minute}, false},
		{"min above given max", DialerConfig{URLs: []string{"https://city-1"}, TLS: tlsConf, MinBackoff: 2 * time.Second, MaxBackoff: time.Second}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := NewDialer(tt.cfg)
			if tt.ok != (err == nil) {
				t.Fatalf("NewDialer = %v, want ok=%v", err, tt.ok)
			}
			if err == nil && !strings.HasPrefix(d.urls[0], "ws") || err == nil && !strings.HasSuffix(d.urls[0], DefaultPath) {
				t.Fatalf("stream URL %q", d.urls[0])
			}
		})
	}
}
