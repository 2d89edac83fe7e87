package reader

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/xanode/xanode/reader/emrtd"
	"github.com/xanode/xanode/reader/emulator"
)

// hideCardAccess answers "file not found" to SELECT EF.CardAccess, as a
// man in the middle who wants the terminal to skip PACE would.
func hideCardAccess(cmd, resp []byte) []byte {
	if len(cmd) >= 7 && cmd[0]&0x0C == 0 && cmd[1] == 0xA4 && bytes.Equal(cmd[5:7], []byte{0x01, 0x1C}) {
		return []byte{0x6A, 0x82}
	}
	return resp
}

// TestReadCardAccessCheck reads cards whose EF.CardAccess the signed DG14
// repeats or not: a mismatch caps the assurance at chip-read with the
// reason in the Result and its JSON, whatever else passed.
func TestReadCardAccessCheck(t *testing.T) {
	caKey := mustECKey(t, "brainpoolP256r1")
	chip := emulator.ChipKeys{CA: caKey}
	consistent, _ := mappingCard(t, chip, chip)
	// A card made before DG14 repeated EF.CardAccess: DG14 first, then
	// EF.CardAccess written beside it.
	old := chipCard(t, chip, chip)
	if err := emulator.AddPACE(old); err != nil {
		t.Fatal(err)
	}
	noDG14 := paceFiles(t)
	store := mustStore(t, mustPKI(t).CSCA)
	tests := []struct {
		name      string
		files     emulator.Files
		opts      emulator.Options
		answer    func(cmd, resp []byte) []byte
		key       Key
		trust     bool
		want      string // CardAccess.Status
		says      string // in CardAccess.Reason
		assurance Assurance
	}{
		{"consistent", consistent, emulator.Options{ChipKeys: chip}, nil, CAN("012345"), true, StatusOK, "", AssuranceChipCloningChecked},
		{"consistent, MRZ key", consistent, emulator.Options{ChipKeys: chip}, nil, nil, true, StatusOK, "", AssuranceChipCloningChecked},
		{"consistent, no trust store", consistent, emulator.Options{ChipKeys: chip}, nil, CAN("012345"), false, StatusNotChecked, "not authenticated", AssuranceChipRead},
		{"card made before: DG14 lacks EF.CardAccess's PACEInfo", old, emulator.Options{ChipKeys: chip}, nil, CAN("012345"), true,
			StatusFailed, "EF.CardAccess announces PACEInfo id-PACE-ECDH-GM", AssuranceChipRead},
		{"EF.CardAccess rewritten to another variant", consistent,
			emulator.Options{ChipKeys: chip, PACE: []emrtd.PACEInfo{emrtd.PACEInfoWith(emrtd.IntegratedMapping, emrtd.AES128, 13)}}, nil, CAN("012345"), true,
			StatusFailed, "id-PACE-ECDH-IM", AssuranceChipRead},
		{"EF.CardAccess hidden: read with BAC", consistent, emulator.Options{ChipKeys: chip}, hideCardAccess, nil, true,
			StatusFailed, "DG14 announces PACEInfo id-PACE-ECDH-GM", AssuranceChipRead},
		{"PACE without DG14", noDG14, emulator.Options{}, nil, CAN("012345"), true, StatusNotChecked, "no DG14", AssuranceChipVerified},
		{"neither", mustFiles(t), emulator.Options{}, nil, nil, true, StatusNotChecked, "neither", AssuranceChipVerified},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Config{}
			if tc.trust {
				cfg.Trust = store
			}
			key := tc.key
			if key == nil {
				key = mustKey(t)
			}
			tc.opts.QuirkCCCD = true
			res, err := cfg.Read(context.Background(), &rewrite{card: mustCard(t, tc.files, tc.opts), answer: tc.answer}, key)
			if err != nil {
				t.Fatal(err)
			}
			if res.CardAccess.Status != tc.want || !strings.Contains(res.CardAccess.Reason, tc.says) || res.Assurance != tc.assurance {
				t.Fatalf("EF.CardAccess check %+v, assurance %s (PA %+v, clone check %+v); want %s saying %q, %s",
					res.CardAccess, res.Assurance, res.PA, res.CloneCheck, tc.want, tc.says, tc.assurance)
			}
			if tc.trust && res.PA.Status != StatusOK {
				t.Fatalf("PA %+v", res.PA)
			}
			b, err := json.Marshal(res)
			if err != nil {
				t.Fatal(err)
			}
			var got struct {
				CardAccess CardAccessCheck `json:"card_access"`
			}
			if err := json.Unmarshal(b, &got); err != nil || got.CardAccess != res.CardAccess {
				t.Fatalf("JSON card_access %+v (%v) in %s", got.CardAccess, err, b)
			}
		})
	}
}
