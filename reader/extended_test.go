package reader

import (
	"bytes"
	"context"
	"testing"

	"github.com/xanode/xanode/reader/emulator"
	"github.com/xanode/xanode/reader/iso7816"
	"github.com/xanode/xanode/reader/vncard"
)

// boasting claims extended length in its ATR for a card that has none.
type boasting struct{ *emulator.Card }

func (boasting) AnswerToReset() []byte { return emulator.ExtendedATR }

func TestReadExtendedLength(t *testing.T) {
	var tck byte
	for _, b := range emulator.ExtendedATR[1:] {
		tck ^= b
	}
	if tck != 0 || !iso7816.ExtendedLength(emulator.ExtendedATR) || iso7816.ExtendedLength(emulator.ATR) {
		t.Fatal("emulator ATRs: wrong check byte or capabilities")
	}
	files := mustFiles(t)
	face := append([]byte{0xFF, 0x4F, 0xFF, 0x51}, bytes.Repeat([]byte{0x5A}, 20000)...)
	files["DG2"] = vncard.EncodeDG2(face, true, 480, 640)
	if err := emulator.Seal(files, mustPKI(t).DocumentSigner); err != nil {
		t.Fatal(err)
	}
	store := mustStore(t, mustPKI(t).CSCA)
	read := func(tr Transport) *Result {
		t.Helper()
		res, err := Config{Trust: store}.Read(context.Background(), tr, mustKey(t))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(res.Raw["DG2"], files["DG2"]) || res.PA.Status != StatusOK || res.Face == nil || res.Face.Note != vncard.NoteJPEG2000 {
			t.Fatalf("PA %+v, face %v", res.PA, res.Face != nil)
		}
		return res
	}
	short := read(mustCard(t, files, emulator.Options{}))
	extended := read(mustCard(t, files, emulator.Options{ExtendedLength: true}))
	refused := read(boasting{mustCard(t, files, emulator.Options{})})
	t.Logf("DG2 of %d bytes: %d APDUs short, %d extended, %d when the ATR overstates", len(files["DG2"]), short.APDUs, extended.APDUs, refused.APDUs)
	if want := apdusFor(files, "COM", "DG1", "DG2", "DG13", "SOD"); short.APDUs != want {
		t.Fatalf("short: %d APDUs, want %d", short.APDUs, want)
	}
	if extended.APDUs > short.APDUs-80 || refused.APDUs <= short.APDUs {
		t.Fatalf("extended %d, refused %d, short %d APDUs", extended.APDUs, refused.APDUs, short.APDUs)
	}
	// Without ExtendedLength the emulator refuses extended APDUs, like vicc.
	c := mustCard(t, files, emulator.Options{})
	if out, _ := c.Transmit(context.Background(), []byte{0, 0xB0, 0, 0, 0, 0x10, 0}); !bytes.Equal(out, []byte{0x67, 0x00}) {
		t.Fatalf("extended READ BINARY to a short-only card: %X", out)
	}
}
