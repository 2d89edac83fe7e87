package emrtd

import (
	"testing"

	"github.com/xanode/xanode/reader/iso7816"
)

// FuzzUnprotect feeds arbitrary response APDUs to the terminal's unwrapping
// with the D.4 session: it must never panic, and whatever it accepts must
// have passed the MAC (so only the published responses get through).
func FuzzUnprotect(f *testing.F) {
	var v smVector
	loadVector(f, "sm_3des_appendix_d4", &v)
	for _, s := range v.steps() {
		f.Add(s.s.ProtectedResponse.b(f))
	}
	f.Add([]byte{0x69, 0x88})
	f.Fuzz(func(t *testing.T, b []byte) {
		sm := d4Session(t, v, v.Select.SSCCommand)
		r, err := sm.Unprotect(b)
		if err == nil && r.SW != iso7816.StatusOK {
			t.Fatalf("accepted %X with status %v", b, r.SW)
		}
		// The object grammar alone, without the MAC, must not panic either.
		_, _ = parseObjects(b, doCryptogram, doCryptogramOdd, doStatus)
	})
}

// FuzzUnprotectCommand is the card side: what the emulator does with
// whatever a terminal sends.
func FuzzUnprotectCommand(f *testing.F) {
	var v smVector
	loadVector(f, "sm_3des_appendix_d4", &v)
	for _, s := range v.steps() {
		f.Add(s.s.Protected.b(f))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := iso7816.ParseCommand(b)
		if err != nil {
			return
		}
		sm := d4Session(t, v, v.SSCInitial)
		_, _ = sm.UnprotectCommand(c)
	})
}

func FuzzParseCOM(f *testing.F) {
	f.Add(hexs("60145F0104303130365F36063034303030305C026175").b(f))
	f.Add(hexs("60035C0161").b(f))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCOM(b)
		if err != nil {
			return
		}
		if _, err := c.Marshal(); err != nil {
			t.Fatalf("parsed %X but cannot encode: %v", b, err)
		}
	})
}
