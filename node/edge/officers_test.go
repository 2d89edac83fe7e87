package edge

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/bundle"
)

// Passwords of the test accounts.
const (
	pwLan   = "mật khẩu của Lan"
	pwHung  = "mật khẩu của Hùng"
	pwLocal = "mật khẩu cục bộ"
)

func cityOfficer(t *testing.T, user, name, role, password string) bundle.Officer {
	t.Helper()
	ph, err := HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	return bundle.Officer{User: user, Name: name, Role: role, Salt: ph.Salt, Hash: ph.Hash, Time: ph.Time, Memory: ph.Memory, Threads: ph.Threads}
}

// officerBundle signs a full bundle of sampleRecords at version, or a
// delta from..to that changes no record, with the officer list.
func officerBundle(t *testing.T, p *certs.PKI, from, to uint64, list []bundle.Officer) []byte {
	t.Helper()
	key, cert := p.DataSigner()
	recs := slices.SortedFunc(slices.Values(sampleRecords()), func(a, b *registry.Citizen) int { return cmpString(a.ID, b.ID) })
	var buf bytes.Buffer
	var err error
	if from == 0 {
		h := bundle.Header{Kind: bundle.KindFull, Commune: commune, To: to, Created: now, Officers: list}
		_, err = bundle.Build(&buf, h, slices.Values(recs), key, cert)
	} else {
		h := bundle.Header{Kind: bundle.KindDelta, Commune: commune, From: from, To: to, Digest: digestOf(recs), Created: now, Officers: list}
		_, err = bundle.BuildDelta(&buf, h, nil, nil, key, cert)
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func canLogIn(s *Store, user, password string) bool {
	_, err := s.Authenticate(context.Background(), user, password)
	return err == nil
}

// TestCityOfficersInstalled: a full bundle and then a delta each make the
// city accounts exactly their list; a city account replaces a local one
// of the same name, other local accounts stay, a disabled or dropped
// account can no longer log in, and a bundle without a list (format 1)
// leaves the accounts alone.
func TestCityOfficersInstalled(t *testing.T) {
	p := mustPKI(t)
	s := mustStore(t)
	im := importer(s, p)
	ctx := context.Background()
	if err := s.PutOfficer("lan", "Trần Thị Lan (máy)", "officer", pwLocal); err != nil {
		t.Fatal(err)
	}
	if err := s.PutOfficer("truong", "Ngô Văn Trường", "supervisor", pwLocal); err != nil {
		t.Fatal(err)
	}
	lan := cityOfficer(t, "lan", "Trần Thị Lan", "officer", pwLan)
	hung := cityOfficer(t, "hung", "Lê Văn Hùng", "supervisor", pwHung)
	if _, err := im.Import(ctx, officerBundle(t, p, 0, 10, []bundle.Officer{hung, lan})); err != nil {
		t.Fatal(err)
	}
	o, err := s.Authenticate(context.Background(), "lan", pwLan)
	if err != nil || o.Source != SourceCity || o.Name != "Trần Thị Lan" {
		t.Fatalf("city account lan: %+v %v", o, err)
	}
	if canLogIn(s, "lan", pwLocal) {
		t.Fatal("the local account lan survived the city's")
	}
	if o, err := s.Authenticate(context.Background(), "truong", pwLocal); err != nil || o.Source != SourceLocal {
		t.Fatalf("local account truong: %+v %v", o, err)
	}
	if err := s.PutOfficer("hung", "Lê Văn Hùng", "officer", pwLocal); !errors.Is(err, ErrCityAccount) {
		t.Fatalf("a local account over a city one: %v", err)
	}

	// The delta disables hung and no longer lists lan.
	disabled := bundle.Officer{User: "hung", Name: "Lê Văn Hùng", Role: "supervisor", Disabled: true}
	if _, err := im.Import(ctx, officerBundle(t, p, 10, 20, []bundle.Officer{disabled})); err != nil {
		t.Fatal(err)
	}
	for _, c := range [][2]string{{"hung", pwHung}, {"lan", pwLan}, {"lan", pwLocal}} {
		if canLogIn(s, c[0], c[1]) {
			t.Errorf("%s logs in after the delta", c[0])
		}
	}
	if role, _ := s.Role("hung"); role != "" {
		t.Errorf("a disabled account keeps role %q", role)
	}
	if !canLogIn(s, "truong", pwLocal) {
		t.Error("the local account truong went with the delta")
	}
	list, _ := s.Officers()
	sources := map[string]string{}
	for _, o := range list {
		sources[o.User] = o.Source
	}
	if len(list) != 2 || sources["hung"] != SourceCity || sources["truong"] != SourceLocal {
		t.Fatalf("accounts after the delta: %v", sources)
	}

	// Format 1 says nothing about officers; an empty list says "none".
	if _, err := im.Import(ctx, makeBundle(t, p, commune, 30, sampleRecords())); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.Officers(); len(list) != 2 {
		t.Fatalf("a format-1 bundle changed the accounts: %d", len(list))
	}
	if _, err := im.Import(ctx, officerBundle(t, p, 30, 40, []bundle.Officer{})); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.Officers(); len(list) != 1 || list[0].User != "truong" {
		t.Fatalf("after an empty list: %+v", list)
	}
}

// TestOfficersNotInstalledWithARefusedBundle: the accounts change in the
// transaction that installs the subset, so a delta that fails its digest
// check leaves them as they were.
func TestOfficersNotInstalledWithARefusedBundle(t *testing.T) {
	p := mustPKI(t)
	s := mustStore(t)
	im := importer(s, p)
	lan := cityOfficer(t, "lan", "Trần Thị Lan", "officer", pwLan)
	if _, err := im.Import(context.Background(), officerBundle(t, p, 0, 10, []bundle.Officer{lan})); err != nil {
		t.Fatal(err)
	}
	wrong := [32]byte{1}
	bad := makeDelta(t, p, deltaOpts{from: 10, to: 20, digest: &wrong}, nil, nil, nil)
	// makeDelta signs no list; sign the same refused delta with one.
	key, cert := p.DataSigner()
	var buf bytes.Buffer
	h := bundle.Header{Kind: bundle.KindDelta, Commune: commune, From: 10, To: 20, Digest: wrong, Created: now, Officers: []bundle.Officer{}}
	if _, err := bundle.BuildDelta(&buf, h, nil, nil, key, cert); err != nil {
		t.Fatal(err)
	}
	for _, data := range [][]byte{bad, buf.Bytes()} {
		if _, err := im.Import(context.Background(), data); !errors.Is(err, bundle.ErrDigestMismatch) {
			t.Fatalf("wrong digest: %v", err)
		}
	}
	if !canLogIn(s, "lan", pwLan) {
		t.Fatal("a refused delta took the accounts with it")
	}
}

// TestOfficerStamp: the stamp stays while the account does, changes with
// the password, and is empty once the account is disabled.
func TestOfficerStamp(t *testing.T) {
	p := mustPKI(t)
	s := mustStore(t)
	im := importer(s, p)
	lan := cityOfficer(t, "lan", "Trần Thị Lan", "officer", pwLan)
	im.Import(context.Background(), officerBundle(t, p, 0, 10, []bundle.Officer{lan}))
	first, err := s.OfficerStamp("lan")
	if err != nil || first == "" {
		t.Fatalf("stamp: %q %v", first, err)
	}
	im.Import(context.Background(), officerBundle(t, p, 10, 11, []bundle.Officer{lan}))
	if again, _ := s.OfficerStamp("lan"); again != first {
		t.Fatal("the same account got a new stamp")
	}
	promoted := lan
	promoted.Role = "supervisor"
	im.Import(context.Background(), officerBundle(t, p, 11, 12, []bundle.Officer{promoted}))
	if st, _ := s.OfficerStamp("lan"); st == first || st == "" {
		t.Fatal("a new role kept the stamp")
	}
	im.Import(context.Background(), officerBundle(t, p, 12, 13, []bundle.Officer{cityOfficer(t, "lan", "Trần Thị Lan", "officer", pwLan+"!")}))
	second, _ := s.OfficerStamp("lan")
	if second == first || second == "" {
		t.Fatal("a new password kept the stamp")
	}
	im.Import(context.Background(), officerBundle(t, p, 13, 14, []bundle.Officer{{User: "lan", Name: "Trần Thị Lan", Role: "officer", Disabled: true}}))
	if st, err := s.OfficerStamp("lan"); st != "" || err != nil {
		t.Fatalf("disabled account stamp %q %v", st, err)
	}
	if st, err := s.OfficerStamp("ai-do"); st != "" || err != nil {
		t.Fatalf("unknown account stamp %q %v", st, err)
	}
}

// TestPlainOfficersSealedAtOpen: a store from before sealed accounts kept
// them in plain text; opening it seals them as local accounts, drops the
// plain bucket and compacts the plain text away.
func TestPlainOfficersSealedAtOpen(t *testing.T) {
	dir := t.TempDir()
	filledStore(t, dir)
	path := filepath.Join(dir, "edge.db")
	ph, err := HashPassword(pwLocal)
	if err != nil {
		t.Fatal(err)
	}
	old, _ := json.Marshal(map[string]any{"user": "canbo01", "name": "Nguyễn Thị Lan", "role": "officer",
		"salt": ph.Salt, "hash": ph.Hash, "t": ph.Time, "m": ph.Memory, "p": ph.Threads})
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket(bOfficersPlain)
		if err != nil {
			return err
		}
		return b.Put([]byte("canbo01"), old)
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	if !bytes.Contains(raw, []byte("Nguyễn Thị Lan")) {
		t.Fatal("the test did not write the plain account")
	}

	s := mustStoreIn(t, dir)
	o, err := s.Authenticate(context.Background(), "canbo01", pwLocal)
	if err != nil || o.Source != SourceLocal || o.Role != "officer" || o.Name != "Nguyễn Thị Lan" {
		t.Fatalf("migrated account: %+v %v", o, err)
	}
	s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bOfficersPlain) != nil {
			t.Error("the plain bucket is still there")
		}
		return nil
	})
	s.Close()
	raw, _ = os.ReadFile(path)
	for _, secret := range [][]byte{[]byte("Nguyễn Thị Lan"), []byte("canbo01"), ph.Hash} {
		if bytes.Contains(raw, secret) {
			t.Errorf("%q is still in the file in plain text", secret)
		}
	}
	s = mustStoreIn(t, dir) // migrated once; opens again
	defer s.Close()
	if !canLogIn(s, "canbo01", pwLocal) {
		t.Fatal("the account did not survive a second open")
	}
}

// TestSessionsSealed: the officer UI's sessions survive a reopen, are
// sealed, and go when deleted.
func TestSessionsSealed(t *testing.T) {
	dir := t.TempDir()
	s := mustStoreIn(t, dir)
	data := []byte(`{"user":"canbo01","name":"Nguyễn Thị Lan","csrf":"bí mật"}`)
	if err := s.SaveSession("id-1", data); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveSession("id-2", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSession("id-2"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if raw, _ := os.ReadFile(filepath.Join(dir, "edge.db")); bytes.Contains(raw, []byte("bí mật")) {
		t.Fatal("a session is in the file in plain text")
	}
	s = mustStoreIn(t, dir)
	defer s.Close()
	got, err := s.Sessions()
	if err != nil || len(got) != 1 || !bytes.Equal(got["id-1"], data) {
		t.Fatalf("sessions after reopening: %q %v", got, err)
	}
}
