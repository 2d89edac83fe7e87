package main

import (
	"crypto/x509/pkix"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/xanode/xanode/reader/cardtool"
	"github.com/xanode/xanode/reader/emulator"
	"github.com/xanode/xanode/reader/trust/trusttest"
	"github.com/xanode/xanode/reader/vncard"
)

// TestCardReadExitStatus runs `xanode card read` in process against the
// emulator and checks the exit statuses of DESIGN.md, "Command line and HTTP surface": 0 read and PA ok,
// 3 read but PA failed or not checked, 2 wrong key, 1 anything else.
func TestCardReadExitStatus(t *testing.T) {
	now := time.Now()
	pki, err := emulator.NewTestPKIWith(now, emulator.VietnamPKI)
	if err != nil {
		t.Fatal(err)
	}
	p := emulator.Person{
		ID: "079190004321", FullName: "Lê Văn Tám", DateOfBirth: vncard.Date{Year: 1990, Month: 12, Day: 1}, Sex: "M",
		IssueDate: vncard.Date{Year: 2021, Month: 6, Day: 1}, ExpiryDate: vncard.Date{Year: 2030, Month: 12, Day: 1},
	}
	dir := t.TempDir()
	card := filepath.Join(dir, "card")
	chip, err := cardtool.ChipKeys("ca,aa", emulator.DefaultAAKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := emulator.WriteCard(card, p, pki, chip, true); err != nil {
		t.Fatal(err)
	}
	// Another country's CSCA, and a master list holding ours.
	mlsKey, _ := trusttest.GenerateKey("P-256")
	other, err := emulator.NewTestPKI(now)
	if err != nil {
		t.Fatal(err)
	}
	otherDir := filepath.Join(dir, "other")
	os.MkdirAll(otherDir, 0o755)
	if err := other.WritePEM(otherDir); err != nil {
		t.Fatal(err)
	}
	mlSigner, err := trusttest.NewCA(trusttest.Template{Subject: pkix.Name{CommonName: "ML CSCA"}}, mlsKey)
	if err != nil {
		t.Fatal(err)
	}
	ml, err := trusttest.MasterList(mlSigner, mlSigner.Cert, pki.CSCA)
	if err != nil {
		t.Fatal(err)
	}
	mlPath := filepath.Join(dir, "list.ml")
	os.WriteFile(mlPath, ml, 0o644)

	key := []string{"card", "read", "--emulate-card", card, "--id", p.ID, "--dob", "901201", "--exp", "301201"}
	for _, tc := range []struct {
		name string
		args []string
		want int
	}{
		{"PA ok with the CSCA file", []string{"--csca", filepath.Join(card, "csca.pem")}, 0},
		{"PA ok with the card folder", []string{"--csca", card, "--json"}, 0},
		{"PA ok with a master list", []string{"--csca", filepath.Join(otherDir, "csca.pem"), "--csca", mlPath}, 0},
		{"PA not checked", nil, 3},
		{"PA failed: another CSCA", []string{"--csca", filepath.Join(otherDir, "csca.pem")}, 3},
		{"missing trust file", []string{"--csca", filepath.Join(dir, "none.pem")}, 1},
		{"Document Signer as CSCA", []string{"--csca", filepath.Join(card, "ds.pem")}, 1},
	} {
		if got := run(append(append([]string(nil), key...), tc.args...)); got != tc.want {
			t.Errorf("%s: exit %d, want %d", tc.name, got, tc.want)
		}
	}
	wrong := []string{"card", "read", "--emulate-card", card, "--id", p.ID, "--dob", "901202", "--exp", "301201", "--csca", card}
	if got := run(wrong); got != exitAccessDenied {
		t.Errorf("wrong key: exit %d, want %d", got, exitAccessDenied)
	}
	for _, can := range [][]string{{"--can", p.ID[6:]}, {"--id", p.ID}} {
		args := append([]string{"card", "read", "--emulate-card", card, "--csca", card}, can...)
		if got := run(args); got != 0 {
			t.Errorf("PACE with %q: exit %d", can, got)
		}
	}
	// A command-line mistake is "any other error" (1), never 2, which
	// means a wrong key.
	if got := run([]string{"card", "read", "--no-such-flag"}); got != 1 {
		t.Errorf("unknown flag: exit %d, want 1", got)
	}
	if got := run([]string{"card", "read", "--emulate-card", card, "--can", "000000"}); got != exitAccessDenied {
		t.Errorf("wrong CAN: exit %d, want %d", got, exitAccessDenied)
	}
}
