package node

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/xanode/xanode/reader"
	"github.com/xanode/xanode/reader/emulator"
	"github.com/xanode/xanode/reader/trust"
	"github.com/xanode/xanode/sync/cityapi"
)

// proofOf reads the card of cardHolder (with or without active
// authentication) signing challenge, and returns its marshalled proof.
func proofOf(t *testing.T, withAA bool, challenge []byte) ([]byte, *trust.Store) {
	t.Helper()
	pki, err := emulator.NewTestPKI(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	files, err := emulator.Build(cardHolder, pki.DocumentSigner)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := emulator.NewChipKeys(false, withAA)
	if err != nil {
		t.Fatal(err)
	}
	if err := emulator.AddChipKeys(files, keys, pki.DocumentSigner); err != nil {
		t.Fatal(err)
	}
	card, err := emulator.New(files, emulator.Options{QuirkCCCD: true, ChipKeys: keys})
	if err != nil {
		t.Fatal(err)
	}
	key := reader.MRZKey{DocumentNumber: cardHolder.ID[3:], DateOfBirth: cardHolder.DateOfBirth.YYMMDD(), DateOfExpiry: cardHolder.ExpiryDate.YYMMDD()}
	res, err := reader.Config{AAChallenge: challenge}.Read(context.Background(), card, key)
	if err != nil {
		t.Fatal(err)
	}
	p, err := res.Proof()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	store := trust.NewStore()
	if _, err := store.LoadBytes(pki.CSCA); err != nil {
		t.Fatal(err)
	}
	return raw, store
}

// TestPresenceVerifier: the city's check of a proof. The chip's signature
// over the request's challenge is active authentication; a read the office
// made offline names no challenge, and its data are verified without it
// (AA false: a grant for review); a signature over another challenge than
// the one the request names proves nothing.
func TestPresenceVerifier(t *testing.T) {
	city := []byte("city-chl")
	local := []byte("own-chl!")
	tests := []struct {
		name      string
		withAA    bool
		signed    []byte // what the chip signed
		requested []byte // what the request names
		aa        bool
		refused   bool
	}{
		{"the city's challenge signed", true, city, city, true, false},
		{"read offline, no challenge named", true, local, nil, false, false},
		{"another challenge than the request's", true, local, city, false, true},
		{"a card without active authentication", false, local, city, false, false},
		{"a card without active authentication, offline", false, local, nil, false, false},
	}
	for _, tt := range tests {
		raw, store := proofOf(t, tt.withAA, tt.signed)
		v := presenceVerifier{store: func() *trust.Store { return store }}
		got, err := v.VerifyPresence(raw, tt.requested, time.Now())
		switch {
		case tt.refused:
			if !errors.Is(err, cityapi.ErrNotAuthentic) {
				t.Errorf("%s: %v, want ErrNotAuthentic", tt.name, err)
			}
		case err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case got.AA != tt.aa || got.ID != cardHolder.ID || got.Chip.FullName != cardHolder.FullName:
			t.Errorf("%s: %+v, want AA %v", tt.name, got, tt.aa)
		}
	}
}
