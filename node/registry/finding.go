package registry

import (
	"strconv"
	"strings"
)

// OpFindingResolve records that an officer resolved a data-quality finding
// about a resident (DESIGN.md, "Data quality"): the change names the
// finding in Procedure (FindingRef) and says what was done in Note
// (FindingNote), sets no field, and travels like every change, so that an
// office resolves its "cần rà soát" list offline and the city decides.
const OpFindingResolve Op = "finding_resolve" // xử lý phát hiện sai sót

// What an officer may make of a finding: the record was put right, or
// checked and found right (the finding was no problem).
const (
	ResolutionFixed     = "fixed"
	ResolutionDismissed = "dismissed"
)

// FindingRef is how a change names finding id: "F-" and the number.
func FindingRef(id uint64) string { return "F-" + strconv.FormatUint(id, 10) }

// ParseFindingRef reads a FindingRef.
func ParseFindingRef(s string) (uint64, bool) {
	n, ok := strings.CutPrefix(s, "F-")
	if !ok || n == "" || n[0] == '0' || strings.Trim(n, "0123456789") != "" {
		return 0, false
	}
	id, err := strconv.ParseUint(n, 10, 64)
	return id, err == nil
}

// FindingNote is the note of a resolution: "fixed: text" or "dismissed:
// text".
func FindingNote(resolution, text string) string { return resolution + ": " + text }

// ParseFindingNote reads a FindingNote; ok is false unless the resolution
// is one of the two and the text says something.
func ParseFindingNote(note string) (resolution, text string, ok bool) {
	resolution, text, found := strings.Cut(note, ": ")
	text = strings.TrimSpace(text)
	if !found || text == "" || (resolution != ResolutionFixed && resolution != ResolutionDismissed) {
		return "", "", false
	}
	return resolution, text, true
}
