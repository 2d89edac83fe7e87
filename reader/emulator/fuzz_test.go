package emulator

import (
	"context"
	"testing"

	"github.com/xanode/xanode/reader/iso7816"
)

// FuzzTransmit sends arbitrary APDUs to the card, plain and within a BAC
// session: it must always answer with a status word and never panic.
func FuzzTransmit(f *testing.F) {
	for _, s := range []string{"00A4000C", "00A4040C07A0000002471001", "00A4020C020101", "00B0000004", "0084000008",
		"0CB000000D9701048E08ED6705417E96BA5500", "00B08D0010", "0C"} {
		f.Add(unhex(f, s))
	}
	files, err := Build(testPerson, mustPKI(f).DocumentSigner)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, apdu []byte) {
		c, err := New(files, Options{})
		if err != nil {
			t.Fatal(err)
		}
		secure(t, c)
		for range 2 { // once within the session, once after it ended
			out, err := c.Transmit(context.Background(), apdu)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := iso7816.ParseResponse(out); err != nil {
				t.Fatalf("answer %X to %X has no status word", out, apdu)
			}
		}
	})
}
