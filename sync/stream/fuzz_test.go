package stream

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// FuzzDecode: whatever the bytes, Decode does not panic and fails only
// with ErrMalformed; a message it accepts re-encodes to bytes that decode
// to the same message (compared by their encoding, which is canonical:
// struct field order, sorted map keys), and Validate never panics on it.
// A valid message also goes through Encode and back unchanged.
func FuzzDecode(f *testing.F) {
	for _, m := range []Message{
		{Type: TypeSubset, Commune: "00001", Version: 42},
		{Type: TypeRevoked, Reason: "máy bị mất cắp: cấp lại bằng mã mới"},
		{Type: TypeConfig, Config: map[string]string{"pull_every": "5m", "push_every": "30s"}},
		{Type: TypeRenew},
		{Type: TypeTelemetry, Telemetry: validTelemetry("xanode 1.2.3")},
	} {
		f.Add(mustEncode(f, m))
	}
	for _, s := range []string{
		`{"type":"future","x":[1,{"y":null}]}`,
		`{"TYPE":"subset","Commune":"00001","VERSION":1}`,
		`{"type":"config","config":{"a":"1"},"config":{"b":"2"}}`,
		`{"type":"config","config":{}}`,
		`{"type":"telemetry","telemetry":{"time":"2025-07-01T08:00:00.123456789+07:00","communes":[],"outbox":-5}}`,
		`{"type":"telemetry","telemetry":null}`,
		`{"type":"revoked","reason":"\u0000\ud800"}`,
		`{"type":"subset","version":18446744073709551615}`,
		`{"type":"subset","version":18446744073709551616}`,
		`{"type":5}`, `null`, `[]`, `{}`, ``, `{"type":"x"} x`,
		`{"type":"` + strings.Repeat("a", 40) + `"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode(data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error not ErrMalformed: %v", err)
			}
			return
		}
		m.Known()
		valid := m.Validate() == nil
		b1, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("accepted message does not re-encode: %v", err)
		}
		if len(b1) > MaxFrame {
			return // escaping grew it past the cap; Encode would refuse it
		}
		m2, err := Decode(b1)
		if err != nil {
			t.Fatalf("re-encoded message %s does not decode: %v", b1, err)
		}
		b2, _ := json.Marshal(m2)
		if !bytes.Equal(b1, b2) {
			t.Fatalf("round trip changed the message:\n%s\n%s", b1, b2)
		}
		if valid != (m2.Validate() == nil) {
			t.Fatalf("round trip changed validity of %s", b1)
		}
		if !valid {
			return
		}
		e, err := Encode(*m)
		if err != nil {
			t.Fatalf("Encode of a valid message: %v", err)
		}
		if !bytes.Equal(e, b1) {
			t.Fatalf("Encode differs from the canonical encoding:\n%s\n%s", e, b1)
		}
	})
}
