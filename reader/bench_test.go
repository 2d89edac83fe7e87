package reader

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/xanode/xanode/reader/emrtd"
	"github.com/xanode/xanode/reader/emulator"
)

// transcript records a read's APDUs against the emulator, then plays the
// answers back, so a benchmark measures the reader's CPU alone.
type transcript struct {
	card  Transport
	cmds  [][]byte
	resps [][]byte
	next  int
}

func (tr *transcript) Transmit(ctx context.Context, cmd []byte) ([]byte, error) {
	if tr.card != nil {
		resp, err := tr.card.Transmit(ctx, cmd)
		tr.cmds, tr.resps = append(tr.cmds, append([]byte(nil), cmd...)), append(tr.resps, resp)
		return resp, err
	}
	i := tr.next
	tr.next++
	if i >= len(tr.cmds) || !bytes.Equal(cmd, tr.cmds[i]) {
		return nil, fmt.Errorf("replay: command %d differs from the recording", i)
	}
	return tr.resps[i], nil
}

// seeded is the terminal's random source, the same at each read so that
// its commands repeat and the recorded answers fit.
func seeded() *rand.ChaCha8 { return rand.NewChaCha8([32]byte{1, 2, 3}) }

// benchRead is one read to measure: a card, how the chip behaves, the
// key, and the terminal's challenge for a proof of presence (nil: none).
type benchRead struct {
	files     emulator.Files
	opts      emulator.Options
	key       Key
	challenge []byte
}

// benchmarkRead records one read of the card, then replays it b.N times.
// With fresh, every read starts from an empty trust store (no cached
// chain), as the first card of a Document Signer does.
func benchmarkRead(b *testing.B, br benchRead, csca []byte, fresh bool) {
	store := mustStore(b, csca)
	now := time.Now()
	cfg := Config{Trust: store, Now: func() time.Time { return now }, AAChallenge: br.challenge}
	rec := &transcript{card: mustCard(b, br.files, br.opts)}
	cfg.Rand = seeded()
	want, err := cfg.Read(context.Background(), rec, br.key)
	if err != nil || want.PA.Status != StatusOK || want.CardAccess.Status == StatusFailed {
		b.Fatalf("recording: %v %+v", err, want)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu, reads := cpuTime(), 0
	for b.Loop() {
		reads++
		if fresh {
			b.StopTimer()
			cfg.Trust = mustStore(b, csca)
			b.StartTimer()
		}
		cfg.Rand = seeded()
		rec.card, rec.next = nil, 0
		res, err := cfg.Read(context.Background(), rec, br.key)
		if err != nil || res.Assurance != want.Assurance {
			b.Fatalf("replay: %v", err)
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(reads), "cpu-ns/read")
	b.ReportMetric(float64(want.APDUs), "apdus/read")
}

// BenchmarkReadWithPA is DESIGN.md, "Performance budgets"'s chip read: BAC, COM + DG1 + DG13 +
// SOD, and passive authentication, under a PKI shaped like Vietnam's
// (brainpoolP512r1 CSCA with explicit parameters, brainpoolP256r1
// Document Signer); then PACE with each mapping; then Active
// Authentication with the keys made cards get (RSA-2048) or an ECDSA key,
// and a proof-of-presence read (PACE, Chip Authentication, then Active
// Authentication over the city's challenge). Only the reader's CPU is
// measured (answers replayed).
func BenchmarkReadWithPA(b *testing.B) {
	vn, err := emulator.NewTestPKIWith(time.Now(), emulator.VietnamPKI)
	if err != nil {
		b.Fatal(err)
	}
	var faceCard func(face []byte, chip emulator.ChipKeys, pace ...emrtd.PACEInfo) emulator.Files
	card := func(chip emulator.ChipKeys, pace ...emrtd.PACEInfo) emulator.Files {
		return faceCard(nil, chip, pace...)
	}
	faceCard = func(face []byte, chip emulator.ChipKeys, pace ...emrtd.PACEInfo) emulator.Files {
		p := person
		p.Face = face
		files, err := emulator.Build(p, vn.DocumentSigner)
		if err != nil {
			b.Fatal(err)
		}
		if len(pace) > 0 {
			if err := emulator.AddPACE(files, pace...); err != nil {
				b.Fatal(err)
			}
		}
		if err := emulator.AddChipKeys(files, chip, vn.DocumentSigner); err != nil {
			b.Fatal(err)
		}
		return files
	}
	opts := func(chip emulator.ChipKeys) emulator.Options {
		// The chip's own random source, not the terminal's: the same
		// stream on both sides would make their PACE keys equal.
		return emulator.Options{QuirkCCCD: true, Rand: rand.NewChaCha8([32]byte{4, 5, 6}), ChipKeys: chip}
	}
	plain := benchRead{files: card(emulator.ChipKeys{}), opts: opts(emulator.ChipKeys{}), key: mustKey(b)}
	b.Run("cached chain", func(b *testing.B) { benchmarkRead(b, plain, vn.CSCA, false) })
	b.Run("first card of its Document Signer", func(b *testing.B) { benchmarkRead(b, plain, vn.CSCA, true) })
	// The face: DG2 read too (a 15 KB JPEG, or JPEG 2000), what the
	// officer UI reads since it shows the face; the image is decoded
	// elsewhere (faceimg's BenchmarkDisplay).
	face := benchRead{files: faceCard(emulator.SampleFaceJPEG("bench"), emulator.ChipKeys{}), opts: opts(emulator.ChipKeys{}), key: mustKey(b)}
	b.Run("with face JPEG 15 KB", func(b *testing.B) { benchmarkRead(b, face, vn.CSCA, false) })
	ca := emulator.ChipKeys{CA: mustECKey(b, "brainpoolP256r1")}
	for _, m := range []struct {
		name string
		info emrtd.PACEInfo
	}{
		{"PACE CAN and chip authentication", emrtd.PACEInfoFor(emrtd.AES128, 13)},
		{"PACE-IM CAN and chip authentication", emrtd.PACEInfoWith(emrtd.IntegratedMapping, emrtd.AES128, 13)},
		{"PACE-CAM CAN", emrtd.PACEInfoWith(emrtd.ChipAuthenticationMapping, emrtd.AES128, 13)},
	} {
		br := benchRead{files: card(ca, m.info), opts: opts(ca), key: CAN("012345")}
		b.Run(m.name, func(b *testing.B) { benchmarkRead(b, br, vn.CSCA, false) })
		if m.name == "PACE CAN and chip authentication" {
			br.files = faceCard(emulator.SampleFaceJP2(), ca, m.info)
			b.Run(m.name+" with face JPEG 2000 15 KB", func(b *testing.B) { benchmarkRead(b, br, vn.CSCA, false) })
		}
	}
	rsaAA, err := emulator.NewChipKeys(false, true)
	if err != nil {
		b.Fatal(err)
	}
	ecAA := emulator.ChipKeys{AA: mustECKey(b, "brainpoolP256r1")}
	for _, a := range []struct {
		name string
		chip emulator.ChipKeys
	}{{"BAC and active authentication RSA-2048", rsaAA}, {"BAC and active authentication ECDSA brainpoolP256r1", ecAA}} {
		br := benchRead{files: card(a.chip), opts: opts(a.chip), key: mustKey(b)}
		b.Run(a.name, func(b *testing.B) { benchmarkRead(b, br, vn.CSCA, false) })
	}
	both := emulator.ChipKeys{CA: ca.CA, AA: rsaAA.AA}
	proof := benchRead{files: card(both, emrtd.PACEInfoFor(emrtd.AES128, 13)), opts: opts(both), key: CAN("012345"), challenge: []byte("city0001")}
	b.Run("proof of presence: PACE, chip and active authentication RSA-2048", func(b *testing.B) { benchmarkRead(b, proof, vn.CSCA, false) })
}
