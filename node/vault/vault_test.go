package vault

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/xanode/xanode/node/edge"
)

// fakeTPM seals with a key of its own: a blob opens only on the same fake.
type fakeTPM struct{ key []byte }

func newFakeTPM() *fakeTPM { return &fakeTPM{key: random(keyLen)} }

func (f *fakeTPM) Seal(secret []byte) ([]byte, error) { return seal(f.key, secret, []byte("tpm")), nil }

func (f *fakeTPM) Unseal(blob []byte) ([]byte, error) { return open(f.key, blob, []byte("tpm")) }

func mustCreate(t *testing.T) (*Vault, []byte) {
	t.Helper()
	master := make([]byte, keyLen)
	rand.Read(master)
	v, err := Create(t.TempDir(), "edge-92101", master)
	if err != nil {
		t.Fatal(err)
	}
	return v, master
}

func reload(t *testing.T, v *Vault) *Vault {
	t.Helper()
	w, err := Load(v.dir)
	if err != nil {
		t.Fatal(err)
	}
	if !w.Locked() {
		t.Fatal("a loaded vault is unlocked")
	}
	return w
}

func wantMaster(t *testing.T, v *Vault, master []byte) {
	t.Helper()
	got, err := v.Master()
	if err != nil || !bytes.Equal(got, master) {
		t.Fatalf("master = %x, %v; want %x", got, err, master)
	}
}

func TestOfficerSlot(t *testing.T) {
	v, master := mustCreate(t)
	if err := v.PutOfficer(context.Background(), "canbo01", "s1", "mật khẩu đúng 123"); err != nil {
		t.Fatal(err)
	}
	w := reload(t, v)
	if _, err := w.Master(); !errors.Is(err, ErrLocked) {
		t.Fatalf("locked Master: %v", err)
	}
	if _, err := w.UnlockOfficer(context.Background(), "canbo01", "sai mật khẩu"); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("wrong password: %v", err)
	}
	if _, err := w.UnlockOfficer(context.Background(), "canbo02", "mật khẩu đúng 123"); !errors.Is(err, ErrNoSlot) {
		t.Fatalf("other user: %v", err)
	}
	stamp, err := w.UnlockOfficer(context.Background(), "canbo01", "mật khẩu đúng 123")
	if err != nil || stamp != "s1" {
		t.Fatalf("unlock: %q, %v", stamp, err)
	}
	wantMaster(t, w, master)
	b, _ := os.ReadFile(filepath.Join(v.dir, FileName))
	if bytes.Contains(b, []byte("canbo01")) {
		t.Fatal("the slot file names the officer")
	}
	// A changed stamp prunes the slot.
	n, err := w.PruneOfficers(map[string]string{w.UserID("canbo01"): "s2"})
	if err != nil || n != 1 {
		t.Fatalf("prune: %d, %v", n, err)
	}
	if _, err := reload(t, w).UnlockOfficer(context.Background(), "canbo01", "mật khẩu đúng 123"); !errors.Is(err, ErrNoSlot) {
		t.Fatalf("pruned slot still there: %v", err)
	}
}

// holdKDF takes both turns of the process's KDF gate until the test ends.
func holdKDF(t *testing.T) {
	t.Helper()
	hold, running := make(chan struct{}), make(chan struct{}, 2)
	for range 2 {
		go edge.KDF.Do(context.Background(), func() { running <- struct{}{}; <-hold })
	}
	<-running
	<-running
	t.Cleanup(func() { close(hold) })
}

// TestOfficerSlotThroughTheGate: an officer slot's Argon2id runs through
// the process's one KDF gate: without a turn, nothing is derived (the
// caller's context, or edge.ErrBusy), for a slot that exists and for one
// that does not, and no slot is made.
func TestOfficerSlotThroughTheGate(t *testing.T) {
	v, _ := mustCreate(t)
	if err := v.PutOfficer(context.Background(), "canbo01", "s1", "mật khẩu đúng 123"); err != nil {
		t.Fatal(err)
	}
	w := reload(t, v)
	holdKDF(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, user := range []string{"canbo01", "canbo02"} {
		if _, err := w.UnlockOfficer(ctx, user, "mật khẩu đúng 123"); !errors.Is(err, context.Canceled) {
			t.Errorf("%s without a turn: %v", user, err)
		}
	}
	if !w.Locked() {
		t.Fatal("unlocked without a turn at the gate")
	}
	if err := v.PutOfficer(context.Background(), "canbo03", "s3", "mật khẩu khác 123"); !errors.Is(err, edge.ErrBusy) {
		t.Fatalf("PutOfficer without a turn: %v", err)
	}
	if _, err := reload(t, v).OfficerKEK(ctx, "canbo03", "mật khẩu khác 123"); !errors.Is(err, context.Canceled) {
		t.Fatalf("OfficerKEK: %v", err)
	}
}

func TestCitySlot(t *testing.T) {
	v, master := mustCreate(t)
	if err := v.PrepareCity(); err != nil {
		t.Fatal(err)
	}
	if v.Durable() {
		t.Fatal("a pending city slot counts as durable")
	}
	secret, pub, ok, err := v.CityPending()
	if err != nil || !ok {
		t.Fatalf("pending: %v %v", ok, err)
	}
	if err := v.CityEscrowed(pub); err != nil {
		t.Fatal(err)
	}
	if !v.Durable() || v.CityEscrowPending() {
		t.Fatal("escrowed city slot not durable")
	}
	b, _ := os.ReadFile(filepath.Join(v.dir, FileName))
	if bytes.Contains(b, secret) {
		t.Fatal("the escrowed secret is in the file")
	}
	w := reload(t, v)
	if _, err := w.UnlockKey(); err != nil {
		t.Fatal(err)
	}
	if err := w.UnlockCity(random(keyLen)); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("wrong secret: %v", err)
	}
	if err := w.UnlockCity(secret); err != nil {
		t.Fatal(err)
	}
	wantMaster(t, w, master)
}

func TestTPMAndFileSlots(t *testing.T) {
	v, master := mustCreate(t)
	tpm := newFakeTPM()
	if err := v.PutTPM(tpm); err != nil {
		t.Fatal(err)
	}
	if err := v.PutFile(master); err != nil {
		t.Fatal(err)
	}
	w := reload(t, v)
	if err := w.UnlockTPM(newFakeTPM()); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("another TPM: %v", err)
	}
	if err := w.UnlockTPM(tpm); err != nil {
		t.Fatal(err)
	}
	wantMaster(t, w, master)
	w = reload(t, v)
	if err := w.UnlockFile(master); err != nil {
		t.Fatal(err)
	}
	wantMaster(t, w, master)
}

func TestSealedFiles(t *testing.T) {
	v, _ := mustCreate(t)
	secret := []byte("-----BEGIN EC PRIVATE KEY-----\nabc\n")
	w := reload(t, v) // sealing needs no DK: enrollment seals on a locked box
	sealed, err := w.Seal("edge.key", secret)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Open("edge.key", sealed); !errors.Is(err, ErrLocked) {
		t.Fatalf("locked open: %v", err)
	}
	got, err := v.Open("edge.key", sealed)
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("open: %q %v", got, err)
	}
	if _, err := v.Open("ui.key", sealed); !errors.Is(err, ErrMalformed) {
		t.Fatalf("renamed sealed file opened: %v", err)
	}
}

func TestRotate(t *testing.T) {
	v, _ := mustCreate(t)
	tpm := newFakeTPM()
	for _, u := range []string{"canbo01", "canbo02"} {
		if err := v.PutOfficer(context.Background(), u, "s", "mật khẩu "+u); err != nil {
			t.Fatal(err)
		}
	}
	if err := v.PrepareCity(); err != nil {
		t.Fatal(err)
	}
	secret, pub, _, _ := v.CityPending()
	v.CityEscrowed(pub)
	oldFile, _ := os.ReadFile(filepath.Join(v.dir, FileName))
	newMaster := random(keyLen)
	dropped, err := v.Rotate(newMaster, tpm, secret, "canbo01", "mật khẩu canbo01", []byte("material"))
	if err != nil || dropped != 1 {
		t.Fatalf("rotate: %d dropped, %v", dropped, err)
	}
	// The old file's slots do not open the new master.
	old, err := parse(oldFile)
	if err != nil {
		t.Fatal(err)
	}
	ov := &Vault{dir: t.TempDir(), f: *old}
	if err := ov.UnlockCity(secret); err != nil {
		t.Fatal(err)
	}
	if m, _ := ov.Master(); bytes.Equal(m, newMaster) {
		t.Fatal("the old slots open the new master")
	}
	for name, unlock := range map[string]func(*Vault) error{
		"officer": func(w *Vault) error {
			_, err := w.UnlockOfficer(context.Background(), "canbo01", "mật khẩu canbo01")
			return err
		},
		"city": func(w *Vault) error { return w.UnlockCity(secret) },
		"tpm":  func(w *Vault) error { return w.UnlockTPM(tpm) },
	} {
		w := reload(t, v)
		if err := unlock(w); err != nil {
			t.Fatalf("%s slot after rotation: %v", name, err)
		}
		wantMaster(t, w, newMaster)
	}
	if _, err := reload(t, v).UnlockOfficer(context.Background(), "canbo02", "mật khẩu canbo02"); !errors.Is(err, ErrNoSlot) {
		t.Fatalf("dropped officer slot: %v", err)
	}
}

func TestDestroy(t *testing.T) {
	v, _ := mustCreate(t)
	if err := v.PutOfficer(context.Background(), "canbo01", "s", "mật khẩu canbo01"); err != nil {
		t.Fatal(err)
	}
	if err := v.Destroy(); err != nil {
		t.Fatal(err)
	}
	if Exists(v.dir) || !v.Locked() {
		t.Fatal("slot file left, or DK kept")
	}
	if _, err := Load(v.dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("load after destroy: %v", err)
	}
}

// FuzzParse: whatever the bytes, parse refuses them with ErrMalformed or
// returns a file whose slots pass their checks.
func FuzzParse(f *testing.F) {
	v, _ := mustCreate(&testing.T{})
	v.PrepareCity()
	v.PutFile(random(keyLen))
	b, _ := os.ReadFile(filepath.Join(v.dir, FileName))
	f.Add(b)
	f.Add([]byte(`{"version":1}`))
	f.Add([]byte(`{"version":1,"node":"n","salt":"AAAAAAAAAAAAAAAAAAAAAA==","box":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","store":"AA==","slots":[{"kind":"officer","wrapped":"AA=="}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		fl, err := parse(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error not ErrMalformed: %v", err)
			}
			return
		}
		w := &Vault{dir: t.TempDir(), f: *fl}
		w.UnlockCity(make([]byte, keyLen))
		w.UnlockFile(make([]byte, keyLen))
		for _, s := range fl.Slots {
			if err := s.check(); err != nil {
				t.Fatalf("accepted slot fails its check: %v", err)
			}
		}
	})
}
