package reader

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/xanode/xanode/reader/emrtd"
	"github.com/xanode/xanode/reader/emulator"
	"github.com/xanode/xanode/reader/iso7816"
	"github.com/xanode/xanode/reader/vncard"
)

// rewrite is a Transport test double that lets a test change any answer
// by the command it answers, and counts the commands it sees.
type rewrite struct {
	card   Transport
	answer func(cmd, resp []byte) []byte
	atr    []byte // the card's answer to reset as the session sees it
	sent   [][]byte
}

func (r *rewrite) AnswerToReset() []byte { return r.atr }

func (r *rewrite) Transmit(ctx context.Context, cmd []byte) ([]byte, error) {
	r.sent = append(r.sent, append([]byte(nil), cmd...))
	resp, err := r.card.Transmit(ctx, cmd)
	if err != nil || r.answer == nil {
		return resp, err
	}
	return r.answer(cmd, append([]byte(nil), resp...)), nil
}

// chipAuthentications counts the protected MSE commands, with which Chip
// Authentication starts (MSE:Set KAT or MSE:Set AT).
func (r *rewrite) chipAuthentications() int {
	n := 0
	for _, c := range r.sent {
		if len(c) > 1 && c[0]&0x0C != 0 && c[1] == 0x22 {
			n++
		}
	}
	return n
}

// lastPACEStep tells PACE's last GENERAL AUTHENTICATE (plain, unchained).
func lastPACEStep(cmd []byte) bool { return len(cmd) > 1 && cmd[0] == 0x00 && cmd[1] == 0x86 }

// mappingCard is a card with Chip Authentication in DG14 whose
// EF.CardAccess (repeated in DG14) announces info, and whose chip holds
// held.
func mappingCard(t testing.TB, genuine, held emulator.ChipKeys, info ...emrtd.PACEInfo) (emulator.Files, emulator.Options) {
	t.Helper()
	files := mustFiles(t)
	if err := emulator.AddPACE(files, info...); err != nil {
		t.Fatal(err)
	}
	if err := emulator.AddChipKeys(files, genuine, mustPKI(t).DocumentSigner); err != nil {
		t.Fatal(err)
	}
	return files, emulator.Options{QuirkCCCD: true, ChipKeys: held}
}

// TestReadPACEMappings reads the emulated card with every PACE mapping,
// with the CAN and the MRZ: the data are the card's, and after chip
// authentication mapping the clone check is PACE-CAM's, with no Chip
// Authentication after it.
func TestReadPACEMappings(t *testing.T) {
	caKey := mustECKey(t, "brainpoolP256r1")
	chip := emulator.ChipKeys{CA: caKey}
	store := mustStore(t, mustPKI(t).CSCA)
	tests := []struct {
		info  emrtd.PACEInfo
		clone CloneCheck
		ca    int // Chip Authentications run
	}{
		{emrtd.PACEInfoFor(emrtd.AES128, 13), CloneCheck{Method: CloneCheckCA, Status: StatusOK}, 1},
		{emrtd.PACEInfoWith(emrtd.IntegratedMapping, emrtd.AES128, 13), CloneCheck{Method: CloneCheckCA, Status: StatusOK}, 1},
		{emrtd.PACEInfoWith(emrtd.IntegratedMapping, emrtd.TDES, 13), CloneCheck{Method: CloneCheckCA, Status: StatusOK}, 1},
		{emrtd.PACEInfoWith(emrtd.IntegratedMapping, emrtd.AES256, 12), CloneCheck{Method: CloneCheckCA, Status: StatusOK}, 1},
		{emrtd.PACEInfoWith(emrtd.ChipAuthenticationMapping, emrtd.AES128, 13), CloneCheck{Method: CloneCheckPACECAM, Status: StatusOK}, 0},
		{emrtd.PACEInfoWith(emrtd.ChipAuthenticationMapping, emrtd.AES256, 13), CloneCheck{Method: CloneCheckPACECAM, Status: StatusOK}, 0},
	}
	for _, tc := range tests {
		for _, key := range []Key{CAN("012345"), mustKey(t)} {
			t.Run(fmt.Sprintf("%s %T", tc.info, key), func(t *testing.T) {
				files, opts := mappingCard(t, chip, chip, tc.info)
				tr := &rewrite{card: mustCard(t, files, opts)}
				res, err := Config{Trust: store}.Read(context.Background(), tr, key)
				if err != nil {
					t.Fatal(err)
				}
				if res.Access != AccessPACE || res.ID != person.ID || res.PA.Status != StatusOK || res.CloneCheck != tc.clone ||
					res.Assurance != AssuranceChipCloningChecked || len(res.Warnings) != 0 {
					t.Fatalf("access %s, PA %+v, clone check %+v, assurance %s, warnings %q", res.Access, res.PA, res.CloneCheck, res.Assurance, res.Warnings)
				}
				for _, name := range []string{"DG1", "DG13", "DG14", "SOD"} {
					if !bytes.Equal(res.Raw[name], files[name]) {
						t.Fatalf("%s read differs", name)
					}
				}
				if n := tr.chipAuthentications(); n != tc.ca {
					t.Fatalf("%d Chip Authentications, want %d", n, tc.ca)
				}
				t.Logf("%d APDUs", res.APDUs)
			})
		}
		t.Run(fmt.Sprintf("%s wrong CAN", tc.info), func(t *testing.T) {
			files, opts := mappingCard(t, chip, chip, tc.info)
			if _, err := Read(context.Background(), mustCard(t, files, opts), CAN("012346")); !errors.Is(err, ErrAccessDenied) {
				t.Fatalf("wrong CAN: %v", err)
			}
		})
	}
}

// TestReadPACECAMClone reads chips whose chip authentication mapping does
// not prove the DG14 key: a clone with another key, and answers whose A_IC
// was changed or dropped on the way. The clone check fails, Active
// Authentication does not overrule it, and the data do not count as
// verified.
func TestReadPACECAMClone(t *testing.T) {
	caKey := mustECKey(t, "brainpoolP256r1")
	aaKey := mustECKey(t, "P-256")
	genuine := emulator.ChipKeys{CA: caKey, AA: aaKey}
	cam := emrtd.PACEInfoWith(emrtd.ChipAuthenticationMapping, emrtd.AES128, 13)
	store := mustStore(t, mustPKI(t).CSCA)
	changeAIC := func(f func(answer, aIC []byte) []byte) func(cmd, resp []byte) []byte {
		return func(cmd, resp []byte) []byte {
			if !lastPACEStep(cmd) || len(resp) < 2 {
				return resp
			}
			answer, err := iso7816.Unwrap(resp[:len(resp)-2], 0x7C)
			aIC, found, _ := iso7816.Find(answer, 0x8A)
			if err != nil || !found {
				t.Fatalf("PACE-CAM answer %X without A_IC", resp)
			}
			return append(iso7816.EncodeTLV(0x7C, f(answer, aIC)), 0x90, 0x00)
		}
	}
	token := func(answer []byte) []byte {
		v, _, _ := iso7816.Find(answer, 0x86)
		return iso7816.EncodeTLV(0x86, v)
	}
	tests := []struct {
		name   string
		held   emulator.ChipKeys
		answer func(cmd, resp []byte) []byte
	}{
		{"clone with another key", emulator.ChipKeys{CA: mustECKey(t, "brainpoolP256r1"), AA: aaKey}, nil},
		{"A_IC changed", genuine, changeAIC(func(answer, aIC []byte) []byte {
			aIC[len(aIC)/2] ^= 0x01
			return answer
		})},
		{"A_IC cut", genuine, changeAIC(func(answer, aIC []byte) []byte {
			return append(token(answer), iso7816.EncodeTLV(0x8A, aIC[:len(aIC)-16])...)
		})},
		{"no A_IC", genuine, changeAIC(func(answer, _ []byte) []byte { return token(answer) })},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files, opts := mappingCard(t, genuine, tc.held, cam)
			res, err := Config{Trust: store}.Read(context.Background(), &rewrite{card: mustCard(t, files, opts), answer: tc.answer}, CAN("012345"))
			if err != nil {
				t.Fatal(err)
			}
			if res.CloneCheck.Method != CloneCheckPACECAM || res.CloneCheck.Status != StatusFailed || res.CloneCheck.Reason == "" {
				t.Fatalf("clone check %+v", res.CloneCheck)
			}
			if res.PA.Status != StatusOK || res.Assurance != AssuranceChipRead || !bytes.Equal(res.Raw["DG13"], files["DG13"]) {
				t.Fatalf("PA %+v, assurance %s", res.PA, res.Assurance)
			}
		})
	}
	// The genuine chip, read without a trust store: PACE-CAM passed, but
	// on a key that nothing vouches for.
	files, opts := mappingCard(t, genuine, genuine, cam)
	res, err := Read(context.Background(), mustCard(t, files, opts), CAN("012345"))
	if err != nil {
		t.Fatal(err)
	}
	if res.CloneCheck.Method != CloneCheckPACECAM || res.CloneCheck.Status != StatusNotChecked || res.Assurance != AssuranceChipRead {
		t.Fatalf("no trust store: clone check %+v, assurance %s", res.CloneCheck, res.Assurance)
	}
}

// TestReadPACEUnsupportedVariant reads chips that announce only PACE the
// reader does not run: with a CAN that is a clear error naming the
// variant, with the MRZ a BAC read that says why.
func TestReadPACEUnsupportedVariant(t *testing.T) {
	for _, tc := range []struct {
		info emrtd.PACEInfo
		says string
	}{
		{emrtd.PACEInfoWith(emrtd.IntegratedMapping, emrtd.AES128, 99), "domain parameters 99"},
		{emrtd.PACEInfoFor(emrtd.AES128, 7), "domain parameters 7"},
		{emrtd.PACEInfoWith(emrtd.IntegratedMapping, emrtd.AES128, 10), "p ≡ 3 mod 4"},
		{emrtd.PACEInfoWith(emrtd.ChipAuthenticationMapping, emrtd.TDES, 13), "CAM-3DES"},
	} {
		t.Run(tc.info.String(), func(t *testing.T) {
			opts := emulator.Options{PACE: []emrtd.PACEInfo{tc.info}, ChipKeys: emulator.ChipKeys{CA: mustECKey(t, "brainpoolP256r1")}}
			_, err := Read(context.Background(), mustCard(t, mustFiles(t), opts), CAN("012345"))
			if !errors.Is(err, ErrPACENotSupported) || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("CAN: %v", err)
			}
			res, err := Read(context.Background(), mustCard(t, mustFiles(t), opts), mustKey(t))
			if err != nil || res.Access != AccessBAC || len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], tc.says) {
				t.Fatalf("MRZ: %v %+v", err, res)
			}
		})
	}
}

// TestReadPACECAMBadAnswers breaks every answer of a PACE-CAM read: an
// error, or the card's data; never a panic, and never a clone check that
// passes on a changed answer.
func TestReadPACECAMBadAnswers(t *testing.T) {
	chip := emulator.ChipKeys{CA: mustECKey(t, "brainpoolP256r1")}
	files, opts := mappingCard(t, chip, chip, emrtd.PACEInfoWith(emrtd.ChipAuthenticationMapping, emrtd.AES128, 13))
	store := mustStore(t, mustPKI(t).CSCA)
	good, err := Config{Trust: store}.Read(context.Background(), mustCard(t, files, opts), CAN("012345"))
	if err != nil || good.CloneCheck.Status != StatusOK {
		t.Fatalf("genuine: %v %+v", err, good)
	}
	for at := 0; at < good.APDUs; at++ {
		for _, m := range mutations {
			t.Run(fmt.Sprintf("APDU %d %s", at, m.name), func(t *testing.T) {
				tr := &faulty{card: mustCard(t, files, opts), at: at, mutate: m.f}
				res, err := Config{Trust: store}.Read(context.Background(), tr, CAN("012345"))
				if err != nil {
					return
				}
				for name, b := range good.Raw {
					if !bytes.Equal(res.Raw[name], b) {
						t.Fatalf("accepted a changed %s", name)
					}
				}
				if res.CloneCheck.Status == StatusOK && res.CloneCheck.Method != CloneCheckPACECAM {
					t.Fatalf("clone check %+v", res.CloneCheck)
				}
			})
		}
	}
}

// TestReadPACECAMAgain reads a PACE-CAM card whose ATR overstates extended
// length, so that PACE runs again after DG14 has been read: the second
// run's proof is checked at once against DG14, and a changed A_IC in it
// fails the clone check.
func TestReadPACECAMAgain(t *testing.T) {
	chip := emulator.ChipKeys{CA: mustECKey(t, "brainpoolP256r1")}
	files, opts := mappingCard(t, chip, chip, emrtd.PACEInfoWith(emrtd.ChipAuthenticationMapping, emrtd.AES128, 13))
	files["DG2"] = vncard.EncodeDG2(append([]byte{0xFF, 0x4F, 0xFF, 0x51}, bytes.Repeat([]byte{0x5A}, 2000)...), true, 480, 640)
	if err := emulator.Seal(files, mustPKI(t).DocumentSigner); err != nil {
		t.Fatal(err)
	}
	store := mustStore(t, mustPKI(t).CSCA)
	for _, changeSecond := range []bool{false, true} {
		runs := 0
		tr := &rewrite{card: mustCard(t, files, opts), atr: emulator.ExtendedATR, answer: func(cmd, resp []byte) []byte {
			if lastPACEStep(cmd) {
				if runs++; runs == 2 && changeSecond {
					resp[len(resp)-3] ^= 0x01 // the last byte of A_IC
				}
			}
			return resp
		}}
		res, err := Config{Trust: store}.Read(context.Background(), tr, CAN("012345"))
		if err != nil {
			t.Fatal(err)
		}
		want := CloneCheck{Method: CloneCheckPACECAM, Status: StatusOK}
		if changeSecond {
			want.Status = StatusFailed
		}
		got := res.CloneCheck
		got.Reason = ""
		if runs != 2 || got != want || !bytes.Equal(res.Raw["DG2"], files["DG2"]) || res.PA.Status != StatusOK {
			t.Fatalf("changed=%v: %d PACE runs, clone check %+v, PA %+v", changeSecond, runs, res.CloneCheck, res.PA)
		}
	}
}

// TestReadPACEPrefersCAM reads a chip that offers every mapping: the
// reader runs chip authentication mapping (naming the domain parameters,
// as several variants are offered) and needs no Chip Authentication.
func TestReadPACEPrefersCAM(t *testing.T) {
	chip := emulator.ChipKeys{CA: mustECKey(t, "brainpoolP256r1")}
	files, opts := mappingCard(t, chip, chip, emrtd.PACEInfoFor(emrtd.AES128, 13),
		emrtd.PACEInfoWith(emrtd.IntegratedMapping, emrtd.AES128, 13), emrtd.PACEInfoWith(emrtd.ChipAuthenticationMapping, emrtd.AES128, 13))
	tr := &rewrite{card: mustCard(t, files, opts)}
	res, err := Config{Trust: mustStore(t, mustPKI(t).CSCA)}.Read(context.Background(), tr, CAN("012345"))
	if err != nil {
		t.Fatal(err)
	}
	if res.CloneCheck != (CloneCheck{Method: CloneCheckPACECAM, Status: StatusOK}) || tr.chipAuthentications() != 0 {
		t.Fatalf("clone check %+v after %d Chip Authentications", res.CloneCheck, tr.chipAuthentications())
	}
	mse := "0022C1A412800A04007F0007020204060283010284010D"
	for _, c := range tr.sent {
		if fmt.Sprintf("%X", c) == mse {
			return
		}
	}
	t.Fatalf("no MSE:Set AT %s among %X", mse, tr.sent[:4])
}

// TestReadPACECAMWithoutDG14 reads a PACE-CAM chip whose card has no DG14:
// the proof cannot be checked, and the clone check says so.
func TestReadPACECAMWithoutDG14(t *testing.T) {
	chip := emulator.ChipKeys{CA: mustECKey(t, "brainpoolP256r1")}
	opts := emulator.Options{ChipKeys: chip, PACE: []emrtd.PACEInfo{emrtd.PACEInfoWith(emrtd.ChipAuthenticationMapping, emrtd.AES128, 13)}}
	res, err := Config{Trust: mustStore(t, mustPKI(t).CSCA)}.Read(context.Background(), mustCard(t, mustFiles(t), opts), CAN("012345"))
	if err != nil {
		t.Fatal(err)
	}
	if res.CloneCheck.Method != CloneCheckNone || res.CloneCheck.Status != StatusNotChecked || !strings.Contains(res.CloneCheck.Reason, "no DG14") ||
		res.Assurance != AssuranceChipVerified {
		t.Fatalf("clone check %+v, assurance %s", res.CloneCheck, res.Assurance)
	}
}
