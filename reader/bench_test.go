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

// benchmarkRead records one read of the card, then replays it b.N times.
// With fresh, every read starts from an empty trust store (no cached
// chain), as the first card of a Document Signer does.
func benchmarkRead(b *testing.B, files emulator.Files, opts emulator.Options, key Key, csca []byte, fresh bool) {
	store := mustStore(b, csca)
	now := time.Now()
	cfg := Config{Trust: store, Now: func() time.Time { return now }}
	rec := &transcript{card: mustCard(b, files, opts)}
	cfg.Rand = seeded()
	want, err := cfg.Read(context.Background(), rec, key)
	if err != nil || want.PA.Status != StatusOK {
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
		res, err := cfg.Read(context.Background(), rec, key)
		if err != nil || res.Assurance != want.Assurance {
			b.Fatalf("replay: %v", err)
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(reads), "cpu-ns/read")
	b.ReportMetric(float64(want.APDUs), "apdus/read")
}

// BenchmarkReadWithPA is DESIGN 11's chip read: BAC, COM + DG1 + DG13 +
// SOD, and passive authentication, under a PKI shaped like Vietnam's
// (brainpoolP512r1 CSCA with explicit parameters, brainpoolP256r1
// Document Signer), then PACE with each mapping. Only the reader's CPU is
// measured (answers replayed).
func BenchmarkReadWithPA(b *testing.B) {
	vn, err := emulator.NewTestPKIWith(time.Now(), emulator.VietnamPKI)
	if err != nil {
		b.Fatal(err)
	}
	files, err := emulator.Build(person, vn.DocumentSigner)
	if err != nil {
		b.Fatal(err)
	}
	opts := emulator.Options{QuirkCCCD: true, Rand: seeded()}
	b.Run("cached chain", func(b *testing.B) { benchmarkRead(b, files, opts, mustKey(b), vn.CSCA, false) })
	b.Run("first card of its Document Signer", func(b *testing.B) { benchmarkRead(b, files, opts, mustKey(b), vn.CSCA, true) })
	caKey := mustECKey(b, "brainpoolP256r1")
	chip := emulator.ChipKeys{CA: caKey}
	if err := emulator.AddChipKeys(files, chip, vn.DocumentSigner); err != nil {
		b.Fatal(err)
	}
	if err := emulator.AddPACE(files); err != nil {
		b.Fatal(err)
	}
	opts.ChipKeys = chip
	b.Run("PACE CAN and chip authentication", func(b *testing.B) { benchmarkRead(b, files, opts, CAN("012345"), vn.CSCA, false) })
	opts.PACE = []emrtd.PACEInfo{emrtd.PACEInfoWith(emrtd.IntegratedMapping, emrtd.AES128, 13)}
	b.Run("PACE-IM CAN and chip authentication", func(b *testing.B) { benchmarkRead(b, files, opts, CAN("012345"), vn.CSCA, false) })
	opts.PACE = []emrtd.PACEInfo{emrtd.PACEInfoWith(emrtd.ChipAuthenticationMapping, emrtd.AES128, 13)}
	b.Run("PACE-CAM CAN", func(b *testing.B) { benchmarkRead(b, files, opts, CAN("012345"), vn.CSCA, false) })
}
