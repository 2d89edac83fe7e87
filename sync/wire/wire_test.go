package wire

import (
	"errors"
	"reflect"
	"testing"

	"github.com/xanode/xanode/node/registry"
)

func sampleChanges() []*registry.Change {
	return []*registry.Change{
		{Node: "edge-1", Seq: 1, Officer: "canbo01", Op: registry.OpRegisterTemporary, Citizen: "092090001234",
			Commune: "92101", Base: 7, Time: registry.MakeHLC(1764230400000, 3),
			Patch: registry.Patch{{Field: registry.FieldTemporaryAddress, Value: "5 Nguyễn Trãi"}, {Field: registry.FieldTemporaryUntil, Value: "2027-06-30"}}},
		{Node: "edge-1", Seq: 2, Op: registry.OpIdentify, Citizen: "092090001234", Commune: "92101", Sig: []byte{1, 2, 3}},
	}
}

func TestRoundTrip(t *testing.T) {
	cs := sampleChanges()
	got, err := DecodeChanges(EncodeChanges(cs))
	if err != nil || !reflect.DeepEqual(got, cs) {
		t.Fatalf("changes: %v\n%+v\n%+v", err, got, cs)
	}
	os := []*registry.Outcome{
		{Change: "edge-1/1", Result: registry.Merged, Index: 9, Citizen: "092090001234",
			Lost: []registry.Loss{{Field: registry.FieldTemporaryUntil, Winner: "2027-01-01", By: "edge-2", Time: 5}}},
		{Change: "edge-1/2", Result: registry.Duplicate, Original: registry.Applied, Clamped: true},
	}
	gotO, err := DecodeOutcomes(EncodeOutcomes(os))
	if err != nil || !reflect.DeepEqual(gotO, os) {
		t.Fatalf("outcomes: %v\n%+v", err, gotO)
	}
}

func TestBadInput(t *testing.T) {
	good := EncodeChanges(sampleChanges())
	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrMagic},
		{"outcomes as changes", EncodeOutcomes(nil), ErrMagic},
		{"truncated", good[:len(good)-3], registry.ErrEncoding},
		{"trailing", append(append([]byte(nil), good...), 0), ErrTrail},
		{"huge count", append([]byte("XNC1"), 0xff, 0xff, 0xff, 0x7f), ErrTooMany},
	}
	for _, tc := range cases {
		if _, err := DecodeChanges(tc.in); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

func FuzzDecodeChanges(f *testing.F) {
	f.Add(EncodeChanges(sampleChanges()))
	f.Add(EncodeOutcomes([]*registry.Outcome{{Change: "a/1", Result: registry.Applied}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		if cs, err := DecodeChanges(b); err == nil {
			again, err := DecodeChanges(EncodeChanges(cs))
			if err != nil || !reflect.DeepEqual(again, cs) {
				t.Fatalf("re-encoding changed the batch: %v", err)
			}
		}
		DecodeOutcomes(b)
	})
}
