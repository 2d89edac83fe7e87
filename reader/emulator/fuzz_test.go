package emulator

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"strings"
	"testing"

	"github.com/xanode/xanode/reader/emrtd"
	"github.com/xanode/xanode/reader/iso7816"
	"github.com/xanode/xanode/reader/keys"
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

// FuzzPACEAndChipAuthentication sends arbitrary PACE and Chip
// Authentication commands (MSE, GENERAL AUTHENTICATE, INTERNAL
// AUTHENTICATE) to a card that runs them: always a status word, no panic.
func FuzzPACEAndChipAuthentication(f *testing.F) {
	for _, s := range []string{"0022C1A40F800A04007F00070202040202830102", "10860000027C0000", "10860000457C43814104" + strings.Repeat("11", 64) + "00",
		"0022C1A40F800A04007F0007020204020283010184010D", "00860000027C0000", "0088000008010203040506070800", "002241A4 0C 800A04007F00070202030202"} {
		f.Add(unhex(f, s))
	}
	files, err := Build(testPerson, mustPKI(f).DocumentSigner)
	if err != nil {
		f.Fatal(err)
	}
	bp, _ := keys.CurveByName("brainpoolP256r1")
	ca, _ := ecdsa.GenerateKey(bp.Curve, rand.Reader)
	chip := ChipKeys{CA: ca, AA: ca}
	if err := AddPACE(files); err != nil {
		f.Fatal(err)
	}
	if err := AddChipKeys(files, chip, mustPKI(f).DocumentSigner); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, apdu []byte) {
		c, err := New(files, Options{ChipKeys: chip})
		if err != nil {
			t.Fatal(err)
		}
		// The PACE run's first steps, then the fuzzed command, plain and
		// within a session.
		for _, cmd := range [][]byte{unhex(t, "0022C1A40F800A04007F00070202040202830102"), unhex(t, "10860000027C0000"), apdu} {
			out, _ := c.Transmit(context.Background(), cmd)
			if _, err := iso7816.ParseResponse(out); err != nil {
				t.Fatalf("answer %X to %X has no status word", out, cmd)
			}
		}
		secure(t, c)
		out, _ := c.Transmit(context.Background(), apdu)
		if _, err := iso7816.ParseResponse(out); err != nil {
			t.Fatalf("answer %X to %X has no status word", out, apdu)
		}
	})
}

// FuzzPACEMappings runs the start of PACE with integrated or chip
// authentication mapping (chosen by variant) and then sends arbitrary
// commands, the mapping data first: always a status word, no panic.
func FuzzPACEMappings(f *testing.F) {
	t16 := strings.Repeat("5D", 16)
	for _, s := range []struct {
		variant byte
		apdu    string
	}{
		{0, "10860000147C128110" + t16 + "00"},
		{1, "10860000147C128110" + t16 + "00"},
		{0, "10860000247C228120" + t16 + t16 + "00"},
		{1, "10860000457C43814104" + strings.Repeat("11", 64) + "00"},
		{1, "00860000027C0000"},
		{0, "10860000047C02820000"},
	} {
		f.Add(s.variant, unhex(f, s.apdu))
	}
	files, err := Build(testPerson, mustPKI(f).DocumentSigner)
	if err != nil {
		f.Fatal(err)
	}
	chip := ChipKeys{CA: mustECKey(f, "brainpoolP256r1")}
	if err := AddChipKeys(files, chip, mustPKI(f).DocumentSigner); err != nil {
		f.Fatal(err)
	}
	variants := []emrtd.PACEInfo{
		emrtd.PACEInfoWith(emrtd.IntegratedMapping, emrtd.AES128, 13),
		emrtd.PACEInfoWith(emrtd.ChipAuthenticationMapping, emrtd.AES128, 13),
	}
	// MSE:Set AT with the CAN for each variant.
	mse := []string{"0022C1A40F800A04007F00070202040402830102", "0022C1A40F800A04007F00070202040602830102"}
	f.Fuzz(func(t *testing.T, variant byte, apdu []byte) {
		v := int(variant) % len(variants)
		c, err := New(files, Options{PACE: variants, ChipKeys: chip})
		if err != nil {
			t.Fatal(err)
		}
		for _, cmd := range [][]byte{unhex(t, mse[v]), unhex(t, "10860000027C0000"), apdu, apdu} {
			out, _ := c.Transmit(context.Background(), cmd)
			if _, err := iso7816.ParseResponse(out); err != nil {
				t.Fatalf("answer %X to %X has no status word", out, cmd)
			}
		}
	})
}
