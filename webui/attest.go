package webui

import "time"

// Attester is implemented by a Registry that signs what it prints
// (DESIGN.md, "Reports"): the printed confirmation then carries a
// verification code with which the city, or anyone holding the city
// root's certificate, checks that the paper is genuine and says what it
// says. Attest signs d on behalf of officer, keeps the proof where the
// city will find it, and returns the code; it must work offline.
type Attester interface {
	Attest(officer string, d Document) (code string, err error)
}

// Document is what a printed document says, as it is signed.
type Document struct {
	Citizen string
	Issued  time.Time
	Subset  uint64 // the data version it rests on
	// Lines are the record's fields as printed: wire name and canonical
	// value, in the paper's order.
	Lines   []DocLine
	Members []string // household members' IDs, as listed
}

// DocLine is one field of a Document.
type DocLine struct{ Field, Value string }
