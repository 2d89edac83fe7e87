package wire

import (
	"time"

	"github.com/xanode/xanode/node/registry"
)

// Proof of presence on the wire (JSON): how an office asks the city for a
// citizen of another commune whose chip is at its desk.

// Challenge answers POST /v1/presence/challenge: 8 bytes (hex) for the
// chip to sign, valid until Expires, usable once, by the node that asked.
type Challenge struct {
	Challenge string    `json:"challenge"`
	Expires   time.Time `json:"expires"`
}

// PresenceRequest is the body of POST /v1/presence.
type PresenceRequest struct {
	Citizen   string `json:"citizen"`
	Challenge string `json:"challenge,omitempty"` // the one the chip signed, when it can
	Proof     []byte `json:"proof"`               // reader/presence.Proof, marshalled
}

// ChipSummary is what the city verified on the chip.
type ChipSummary struct {
	Document       string `json:"document"` // DG1 document number
	FullName       string `json:"full_name,omitempty"`
	BirthDate      string `json:"birth_date,omitempty"`
	Sex            string `json:"sex,omitempty"`
	CSCA           string `json:"csca,omitempty"`
	DocumentSigner string `json:"document_signer,omitempty"`
}

// PresenceResponse answers POST /v1/presence. With the chip's signature
// over the challenge (AA) the office may act for the citizen until Until
// and Record is the citizen's record; without it (a chip without active
// authentication) no record is released and the changes the office
// records for the citizen go to review.
type PresenceResponse struct {
	Citizen string            `json:"citizen"`
	AA      bool              `json:"aa"`
	Review  bool              `json:"review"`
	Until   time.Time         `json:"until"`
	Record  *registry.Citizen `json:"record,omitempty"`
	Chip    *ChipSummary      `json:"chip,omitempty"`
	Note    string            `json:"note,omitempty"`
}
