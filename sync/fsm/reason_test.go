package fsm

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/xanode/xanode/node/registry"
)

// TestCompetingReason: competingResidence builds its reason by hand; the
// bytes are those fmt made, which replicas of earlier releases store.
func TestCompetingReason(t *testing.T) {
	f := &FSM{cfg: DefaultConfig()}
	for _, tc := range []struct {
		op    registry.Op
		field registry.Field
		value string
		gap   time.Duration
	}{
		{registry.OpRegisterTemporary, registry.FieldTemporaryAddress, "Số 12 Đường Mậu Thân, \"Ninh Kiều\"", 1500 * time.Millisecond},
		{registry.OpRegisterPermanent, registry.FieldPermanentAddress, "tab\there ☃", 26 * time.Hour},
		{registry.OpRegisterTemporary, registry.FieldTemporaryAddress, "", 0},
	} {
		stamp := registry.Stamp{Index: 4242, Time: registry.HLCFromTime(t0), Node: "edge-2"}
		cit := &registry.Citizen{ID: idAn}
		cit.Set(tc.field, tc.value, stamp)
		c := &registry.Change{Node: "edge-1", Op: tc.op, Time: registry.HLCFromTime(t0.Add(tc.gap))}
		got := f.competingResidence(cit, c)
		want := fmt.Sprintf("competing %s by %s at index %d (%q), %s apart", tc.field, "edge-2", 4242, tc.value, tc.gap.Round(time.Second))
		if tc.gap >= f.cfg.ReviewWindow {
			want = ""
		}
		if got != want {
			t.Errorf("got  %q\nwant %q", got, want)
		}
	}
}

// TestQuote: quote is strconv.Quote for every rune of its fast ranges and
// around them, alone and in Vietnamese text, and for invalid UTF-8.
func TestQuote(t *testing.T) {
	var cases []string
	for r := rune(0); r < 0x300; r++ {
		cases = append(cases, string(r), "Số "+string(r)+" Đường")
	}
	for r := rune(0x1E90); r < 0x1F10; r++ {
		cases = append(cases, string(r), "Phường "+string(r))
	}
	cases = append(cases, "", "Số 12 Đường Mậu Thân, Ninh Kiều, Cần Thơ", "a\"b\\c", "\xff\xfe", "Đ\xc3", "tab\t", "\u200b", "☃")
	for _, s := range cases {
		if got, want := quote(s), strconv.Quote(s); got != want {
			t.Errorf("quote(%q) = %s, want %s", s, got, want)
		}
	}
}
