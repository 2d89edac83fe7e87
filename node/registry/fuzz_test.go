package registry

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// The decoders read bytes from other nodes and from disk. Besides never
// panicking, they must accept exactly what the encoders produce: whatever
// decodes re-encodes to the very bytes it was read from, and decodes again
// to an equal value.

func FuzzDecodeCitizen(f *testing.F) {
	f.Add(AppendCitizen(nil, sampleCitizen(false), true))
	f.Add(AppendCitizen(nil, sampleCitizen(false), false))
	f.Add(AppendCitizen(nil, &Citizen{}, false))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, rest, err := DecodeCitizen(b)
		if err != nil {
			return
		}
		used := b[:len(b)-len(rest)]
		again := AppendCitizen(nil, c, used[0] == citizenFull)
		if !bytes.Equal(again, used) {
			t.Fatalf("re-encoding differs:\n read %x\nwrote %x", used, again)
		}
		c2, _, err := DecodeCitizen(again)
		if err != nil || !reflect.DeepEqual(c, c2) {
			t.Fatalf("second decode: %v\n%+v\n%+v", err, c, c2)
		}
	})
}

func FuzzDecodeChange(f *testing.F) {
	for _, op := range []Op{OpImport, OpRegisterBirth, OpRegisterDeath, OpProcedure} {
		f.Add(AppendChange(nil, validChange(op)))
	}
	f.Add(AppendChange(nil, sampleChange()))
	f.Add(AppendChange(nil, &Change{}))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, rest, err := DecodeChange(b)
		if err != nil {
			return
		}
		_ = c.Validate() // must not panic on any decoded change
		used := b[:len(b)-len(rest)]
		again := AppendChange(nil, c)
		if !bytes.Equal(again, used) {
			t.Fatalf("re-encoding differs:\n read %x\nwrote %x", used, again)
		}
		c2, _, err := DecodeChange(again)
		if err != nil || !reflect.DeepEqual(c, c2) {
			t.Fatalf("second decode: %v\n%+v\n%+v", err, c, c2)
		}
	})
}

func FuzzDecodeOutcome(f *testing.F) {
	f.Add(AppendOutcome(nil, sampleOutcome()))
	f.Add(AppendOutcome(nil, &Outcome{Change: "e/1", Result: Applied}))
	f.Fuzz(func(t *testing.T, b []byte) {
		o, rest, err := DecodeOutcome(b)
		if err != nil {
			return
		}
		used := b[:len(b)-len(rest)]
		again := AppendOutcome(nil, o)
		if !bytes.Equal(again, used) {
			t.Fatalf("re-encoding differs:\n read %x\nwrote %x", used, again)
		}
		o2, _, err := DecodeOutcome(again)
		if err != nil || !reflect.DeepEqual(o, o2) {
			t.Fatalf("second decode: %v\n%+v\n%+v", err, o, o2)
		}
	})
}

// FuzzNormalize guards what Change.Validate relies on: a normalized value
// normalizes to itself, for every field.
func FuzzNormalize(f *testing.F) {
	for _, fv := range sampleValues {
		f.Add(uint8(fv.Field), fv.Value)
	}
	f.Add(uint8(FieldFullName), decomposedNguyen+"  Văn\tAn")
	f.Add(uint8(FieldBirthDate), "08/03/1995")
	f.Fuzz(func(t *testing.T, field uint8, v string) {
		fld := Field(field)
		nv, err := fld.Normalize(v)
		if err != nil {
			return
		}
		again, err := fld.Normalize(nv)
		if err != nil || again != nv {
			t.Fatalf("%v: %q → %q → %q, %v", fld, v, nv, again, err)
		}
	})
}

// FuzzCitizenJSON: population files are outside input too. What
// UnmarshalJSON accepts is canonical: marshalling it and reading it back
// gives the same record.
func FuzzCitizenJSON(f *testing.F) {
	b, _ := json.Marshal(sampleCitizen(false))
	f.Add(b)
	f.Add([]byte(`{"id":"P-edge-1-2","version":3,"fields":{"full_name":" ` + decomposedNguyen + ` An","birth_date":"08/03/1995"}}`))
	f.Add([]byte(`{"id":"092195012345","fields":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var c Citizen
		if err := json.Unmarshal(b, &c); err != nil {
			return
		}
		out, err := json.Marshal(&c)
		if err != nil {
			t.Fatal(err)
		}
		var c2 Citizen
		if err := json.Unmarshal(out, &c2); err != nil || c2 != c {
			t.Fatalf("%s → %s: %v\n%+v\n%+v", b, out, err, c, c2)
		}
	})
}

// FuzzCollapseSpace: the fast path gives what strings.Fields and Join give.
func FuzzCollapseSpace(f *testing.F) {
	for _, s := range []string{"", " ", "a", "a b", " a", "a ", "a  b", "a\tb", "Nguyễn\u00a0Văn", "a\u3000b", "\u0085", "x y z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if got, want := collapseSpace(v), strings.Join(strings.Fields(v), " "); got != want {
			t.Fatalf("%q: %q, want %q", v, got, want)
		}
	})
}
