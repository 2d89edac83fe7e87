package node

import (
	"strings"
	"testing"
	"time"

	"github.com/xanode/xanode/node/quality"
	"github.com/xanode/xanode/sync/fsm"
)

func TestWriteFindings(t *testing.T) {
	found := time.Date(2026, 12, 5, 2, 30, 0, 0, time.UTC) // 09:30 in Vietnam
	fs := []fsm.Finding{
		{ID: 7, Rule: quality.RuleDuplicate, State: fsm.FindingOpen, Commune: "92101", Citizen: "092090001234", Other: "092090001299", Found: found,
			Evidence: quality.Evidence{{Key: "duplicate", Args: map[string]string{"likeness": "0.950", "name": "Nguyễn\tVăn An", "birth_date": "1990-05-01",
				"other_name": "Nguyễn Văn An", "other_birth_date": "1990-05-01"}}}},
		{ID: 8, Rule: quality.RuleHouseholdHead, State: fsm.FindingConfirmed, Commune: "92101", Citizen: "092090001234", Household: "HH-1", Found: found,
			Evidence: quality.Evidence{{Key: "household_no_head", Args: map[string]string{"household": "HH-1", "members": "3"}}}},
		{ID: 9, Rule: quality.RuleNoCard, State: fsm.FindingOpen, Commune: "92101", Citizen: "092090001235", Found: found},
	}
	var b strings.Builder
	if err := WriteFindings(&b, fs); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(lines[0], "EVIDENCE") {
		t.Fatalf("a header and three rows, got:\n%s", b.String())
	}
	for i, want := range [][]string{
		{"7", "duplicate", "open", "092090001234", "092090001299", "2026-12-05 09:30", "«Nguyễn Văn An» born 1990-05-01"},
		{"8", "household_head", "confirmed", "HH-1", "household HH-1: no living head among 3 members"},
		{"9", "no_card", "092090001235", " - "},
	} {
		for _, w := range want {
			if !strings.Contains(lines[i+1], w) {
				t.Errorf("row %d lacks %q: %s", i+1, w, lines[i+1])
			}
		}
	}
}
