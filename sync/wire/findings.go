package wire

import (
	"time"

	"github.com/xanode/xanode/node/quality"
)

// Finding is a data-quality finding as an office receives it for its "cần
// rà soát" list (GET /v1/findings): one of its residents' open or
// confirmed findings, to check with the citizen at the next visit and
// resolve (registry.OpFindingResolve names it by ID).
type Finding struct {
	ID        uint64   `json:"id"`
	Rule      string   `json:"rule"`
	Citizen   string   `json:"citizen"`
	Other     string   `json:"other,omitempty"`     // a duplicate's other record
	Household string   `json:"household,omitempty"` // a household finding's household
	Commune   string   `json:"commune"`
	Fields    []string `json:"fields"`
	Evidence  string   `json:"evidence"` // in English: what an edge of an earlier release shows
	// Statements are the evidence as message keys and values, for the
	// officer UI to say in its language; absent from a city of an
	// earlier release, whose English Evidence is then shown as it is.
	Statements quality.Evidence `json:"statements,omitempty"`
	Chip       string           `json:"chip,omitempty"` // what a card stated
	Assurance  string           `json:"assurance,omitempty"`
	State      string           `json:"state"`
	Found      time.Time        `json:"found"`
}

// MaxFindings bounds the list one office receives: the oldest problems
// beyond it wait until those before are resolved.
const MaxFindings = 2000
