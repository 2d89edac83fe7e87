package node

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/reader/emulator"
	"github.com/xanode/xanode/reader/sod"
	"github.com/xanode/xanode/reader/trust"
	"github.com/xanode/xanode/reader/trust/trusttest"
	"github.com/xanode/xanode/sync/cityapi"
	"github.com/xanode/xanode/sync/fsm"
)

// TestCityTrust: a master list counts only under a configured signer; a
// CRL only when a CSCA of the set or of --csca signed it; the store the
// city verifies chips with follows the set's version.
func TestCityTrust(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	f, err := fsm.Open(filepath.Join(t.TempDir(), "fsm.db"), fsm.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	now := time.Now()
	card, err := emulator.NewTestPKIWith(now, emulator.PKIOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mls, err := card.Authority.Issue(trusttest.Template{Subject: pkix.Name{Country: []string{"VN"}, CommonName: "Master List Signer"},
		ExtKeyUsage: []asn1.ObjectIdentifier{trusttest.OIDMasterListSigning}}, card.DocumentSigner.Key)
	if err != nil {
		t.Fatal(err)
	}
	ml, err := trusttest.MasterList(mls, card.CSCA)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := trust.ParseCertificate(card.CSCA)
	if err != nil {
		t.Fatal(err)
	}
	crl, err := card.Authority.CRL(now.Add(-time.Minute), now.AddDate(0, 1, 0))
	if err != nil {
		t.Fatal(err)
	}

	unconfigured := &cityTrust{fsm: f, log: quiet}
	if _, err := unconfigured.MasterList(ml, now); !errors.Is(err, cityapi.ErrNoMasterListSigner) {
		t.Fatalf("no signer configured: %v", err)
	}
	stranger, _ := emulator.NewTestPKIWith(now, emulator.PKIOptions{})
	strangerCert, _ := trust.ParseCertificate(stranger.CSCA)
	if _, err := (&cityTrust{fsm: f, signers: []*trust.Certificate{strangerCert}, log: quiet}).MasterList(ml, now); !errors.Is(err, cityapi.ErrNotTrusted) {
		t.Fatalf("another signer configured: %v", err)
	}
	ct := &cityTrust{fsm: f, signers: []*trust.Certificate{signer}, log: quiet}
	if _, err := ct.CRL(crl); !errors.Is(err, cityapi.ErrNotTrusted) {
		t.Fatalf("a CRL before its CSCA is trusted: %v", err)
	}
	if ct.Store().Len() != 0 {
		t.Fatal("an empty set gives a store with CSCAs")
	}
	got, err := ct.MasterList(ml, now)
	if err != nil || len(got.Items) != 1 || got.Items[0].Subject != signer.Subject {
		t.Fatalf("master list: %+v %v", got, err)
	}
	apply := func(index uint64, op *fsm.TrustOp) {
		t.Helper()
		c := &fsm.Command{Kind: fsm.KindTrust, Received: now, From: fsm.Sender{Role: registry.RoleAdmin, ID: "admin"}, Trust: op}
		if res := f.Apply(&raft.Log{Index: index, Type: raft.LogCommand, Data: c.Encode()}); res != nil {
			if err, ok := res.(error); ok {
				t.Fatal(err)
			}
		}
	}
	apply(1, &fsm.TrustOp{Add: got.Items})
	dgs := map[int][]byte{1: []byte("\x61\x03\x5F\x1F\x00")}
	chip, _ := sod.Sign(dgs, card.DocumentSigner.Key, card.DocumentSigner.Cert)
	if r := ct.Store().Verify(chip, dgs, now); !r.Verified {
		t.Fatalf("the card after the master list: %q", r.Reasons)
	}
	item, err := ct.CRL(crl)
	if err != nil || item.Issuer != signer.Subject || item.NextUpdate.IsZero() {
		t.Fatalf("CRL of a trusted CSCA: %+v %v", item, err)
	}
	// --csca alone also makes a CRL acceptable.
	local := trust.NewStore()
	local.AddCSCA(signer)
	if _, err := (&cityTrust{fsm: mustEmptyFSM(t), local: local, log: quiet}).CRL(crl); err != nil {
		t.Fatalf("CRL of a --csca CSCA: %v", err)
	}
	apply(2, &fsm.TrustOp{Remove: []string{got.Items[0].Fingerprint}})
	if ct.Store().Len() != 0 {
		t.Fatal("the store did not follow the removal")
	}
}

func mustEmptyFSM(t *testing.T) *fsm.FSM {
	f, err := fsm.Open(filepath.Join(t.TempDir(), "fsm.db"), fsm.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}
