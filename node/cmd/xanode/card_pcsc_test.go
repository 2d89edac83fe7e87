//go:build pcsc

package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xanode/xanode/reader/emulator"
	"github.com/xanode/xanode/reader/pcsc/pcsctest"
	"github.com/xanode/xanode/reader/vncard"
)

// TestCardReadersAndReadPCSC lists the readers with a card in vpcd's first
// slot, then reads it through PC/SC with `card read --reader`.
func TestCardReadersAndReadPCSC(t *testing.T) {
	pcsctest.Require(t)
	pki, err := emulator.NewTestPKIWith(time.Now(), emulator.VietnamPKI)
	if err != nil {
		t.Fatal(err)
	}
	p := emulator.Person{
		ID: "079190004321", FullName: "Lê Văn Tám", DateOfBirth: vncard.Date{Year: 1990, Month: 12, Day: 1}, Sex: "M",
		IssueDate: vncard.Date{Year: 2021, Month: 6, Day: 1}, ExpiryDate: vncard.Date{Year: 2030, Month: 12, Day: 1},
	}
	card := t.TempDir()
	if err := emulator.WriteCard(card, p, pki, emulator.ChipKeys{}, true); err != nil {
		t.Fatal(err)
	}
	pcsctest.StartVICC(t, card, "--reader-slot", "0")

	var out strings.Builder
	if err := cardReaders(context.Background(), nil, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^READER +CARD$`),
		regexp.MustCompile(`(?m)^Virtual PCD 00 00 +card present \(ATR 3B951381018073FF01000B\)$`),
		regexp.MustCompile(`(?m)^Virtual PCD 00 01 +no card$`),
	} {
		if !want.MatchString(out.String()) {
			t.Errorf("card readers printed\n%s\nwant a line matching %s", out.String(), want)
		}
	}
	if got := run([]string{"card", "readers", "extra"}); got != 2 {
		t.Errorf("card readers with an argument: exit %d, want 2", got)
	}

	key := []string{"--id", p.ID, "--dob", "901201", "--exp", "301201", "--csca", card}
	for _, tc := range []struct {
		name string
		args []string
		want int
	}{
		{"the reader by name", append([]string{"--reader", pcsctest.Slot0}, key...), 0},
		{"any reader", append([]string{"--reader", "any"}, key...), 0},
		{"no reader named so", append([]string{"--reader", "No Such Reader 00 00"}, key...), 1},
		{"wrong date of birth", []string{"--reader", pcsctest.Slot0, "--id", p.ID, "--dob", "901202", "--exp", "301201"}, exitAccessDenied},
	} {
		if got := run(append([]string{"card", "read", "--skip-face"}, tc.args...)); got != tc.want {
			t.Errorf("%s: exit %d, want %d", tc.name, got, tc.want)
		}
	}
}
