package reader

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/xanode/xanode/reader/emrtd"
	"github.com/xanode/xanode/reader/emulator"
	"github.com/xanode/xanode/reader/iso7816"
)

// faulty is a Transport test double that passes APDUs to a card and lets a
// test rewrite the n-th response (counting from 0) or fail the transmit.
type faulty struct {
	card    Transport
	at      int
	mutate  func(resp []byte) []byte
	failErr error
	n       int
}

func (f *faulty) Transmit(ctx context.Context, cmd []byte) ([]byte, error) {
	i := f.n
	f.n++
	resp, err := f.card.Transmit(ctx, cmd)
	if err != nil || i != f.at {
		return resp, err
	}
	if f.failErr != nil {
		return nil, f.failErr
	}
	return f.mutate(append([]byte(nil), resp...)), nil
}

var mutations = []struct {
	name string
	f    func([]byte) []byte
}{
	{"empty", func([]byte) []byte { return nil }},
	{"one byte", func(b []byte) []byte { return b[:1] }},
	{"status word only", func(b []byte) []byte { return b[len(b)-2:] }},
	{"last data byte dropped", func(b []byte) []byte {
		if len(b) < 3 {
			return []byte{0x90}
		}
		return append(b[:len(b)-3:len(b)-3], b[len(b)-2:]...)
	}},
	{"first byte flipped", func(b []byte) []byte { b[0] ^= 0x01; return b }},
	{"middle byte flipped", func(b []byte) []byte { b[len(b)/2] ^= 0x40; return b }},
	{"MAC byte flipped", func(b []byte) []byte { b[max(0, len(b)-3)] ^= 0x80; return b }},
	{"status changed", func(b []byte) []byte { b[len(b)-1] ^= 0x01; return b }},
	{"garbage appended", func(b []byte) []byte { return append(b[:len(b)-2:len(b)-2], 0xDE, 0xAD, 0x90, 0x00) }},
	{"garbage", func(b []byte) []byte { return bytes.Repeat([]byte{0xA5}, len(b)) }},
	{"long garbage", func([]byte) []byte { return append(bytes.Repeat([]byte{0x87}, 300), 0x90, 0x00) }},
}

// TestReadBadCardAnswers breaks every response of a full read in every way
// above. Under secure messaging each must end in a clear error; before it
// (SELECT EF.CardAccess, SELECT, GET CHALLENGE, EXTERNAL AUTHENTICATE) a
// change that means the same (data after a SELECT that asked for none) may
// pass, or a refusal read as a wrong key, but never a result built on a
// corrupted answer, and never a panic.
func TestReadBadCardAnswers(t *testing.T) {
	files := mustFiles(t)
	key := mustKey(t)
	total := apdusFor(files, "COM", "DG1", "DG13", "SOD")
	for at := 0; at < total; at++ {
		for _, m := range mutations {
			t.Run(fmt.Sprintf("APDU %d %s", at, m.name), func(t *testing.T) {
				tr := &faulty{card: mustCard(t, files, emulator.Options{}), at: at, mutate: m.f}
				res, err := Read(context.Background(), tr, key)
				if err == nil {
					if at < 4 && res.ID == person.ID && bytes.Equal(res.Raw["DG13"], files["DG13"]) {
						return
					}
					t.Fatalf("no error; %d APDUs, files %v", res.APDUs, res.Files)
				}
				if at >= 4 && !errors.Is(err, emrtd.ErrSecureMessaging) && !errors.Is(err, emrtd.ErrProtocol) {
					t.Fatalf("after BAC, err = %v; want a secure messaging or protocol error", err)
				}
				if err.Error() == "" {
					t.Fatal("empty error message")
				}
			})
		}
	}
}

func TestReadTransportErrors(t *testing.T) {
	files := mustFiles(t)
	unplugged := errors.New("card removed")
	for at := 0; at < 6; at++ {
		tr := &faulty{card: mustCard(t, files, emulator.Options{}), at: at, failErr: unplugged}
		if _, err := Read(context.Background(), tr, mustKey(t)); !errors.Is(err, unplugged) {
			t.Fatalf("APDU %d: err = %v", at, err)
		}
	}
}

func TestReadNotACard(t *testing.T) {
	tr := &faulty{card: mustCard(t, mustFiles(t), emulator.Options{}), at: 1, mutate: func([]byte) []byte { return []byte{0x6A, 0x82} }}
	if _, err := Read(context.Background(), tr, mustKey(t)); !errors.Is(err, ErrNotCard) {
		t.Fatalf("err = %v", err)
	}
}

// FuzzRead replaces one response of a full read by arbitrary bytes. Read
// must not panic, and if it succeeds the result must be the untouched one.
func FuzzRead(f *testing.F) {
	files := mustFiles(f)
	key := mustKey(f)
	want, err := Read(context.Background(), mustCard(f, files, emulator.Options{}), key)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(uint8(5), []byte{0x90, 0x00})
	f.Add(uint8(4), []byte{0x87, 0x09, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0x99, 0x02, 0x90, 0x00, 0x8E, 0x08, 0, 0, 0, 0, 0, 0, 0, 0, 0x90, 0x00})
	f.Add(uint8(1), []byte{1, 2, 3, 4, 5, 6, 7, 8, 0x90, 0x00})
	f.Fuzz(func(t *testing.T, at uint8, resp []byte) {
		tr := &faulty{card: mustCard(t, files, emulator.Options{}), at: int(at) % want.APDUs, mutate: func([]byte) []byte { return resp }}
		got, err := Read(context.Background(), tr, key)
		if err != nil {
			return
		}
		for name, b := range want.Raw {
			if !bytes.Equal(got.Raw[name], b) {
				t.Fatalf("accepted a changed %s", name)
			}
		}
		var sw iso7816.StatusWord
		_ = errors.As(err, &sw)
	})
}
