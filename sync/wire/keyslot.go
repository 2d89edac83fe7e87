package wire

import "time"

// The messages of an edge box's city key slot (sync/cityapi/keyslot.go),
// shared by the city and the edge.

// KeyEscrow is the body of POST /v1/keyslot.
type KeyEscrow struct {
	Public []byte `json:"public"` // Ed25519 public key of the box's unlock key
	Secret []byte `json:"secret"` // the slot secret
}

// UnlockChallenge answers GET /v1/unlock/challenge.
type UnlockChallenge struct {
	Nonce string    `json:"nonce"`
	Time  time.Time `json:"time"` // the city's clock
}

// UnlockRequest is the body of POST /v1/unlock. Probe asks only for the
// node's state (a box that heard of a revocation checks it this way).
type UnlockRequest struct {
	Node      string `json:"node"`
	Nonce     string `json:"nonce"`
	Probe     bool   `json:"probe,omitempty"`
	Signature []byte `json:"signature"`
}

// UnlockAnswer answers POST /v1/unlock: the secret, or the node's state
// with the reason when it is not active.
type UnlockAnswer struct {
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
	Secret []byte `json:"secret,omitempty"`
	Error  string `json:"error,omitempty"`
}

// UnlockMessage is what the box's unlock key signs.
func UnlockMessage(node, nonce string, probe bool) []byte {
	op := "unlock"
	if probe {
		op = "probe"
	}
	return []byte("xanode unlock v1\x00" + node + "\x00" + nonce + "\x00" + op)
}
