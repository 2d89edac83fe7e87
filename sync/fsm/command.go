package fsm

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/wire"
)

// Kind is the first byte of every raft log command.
type Kind byte

// The log commands. Numbers are part of the log format: never reuse one.
const (
	KindChanges Kind = 1 // changes pushed by edges
	KindImport  Kind = 2 // city bulk load of citizen records
	KindAssign  Kind = 3 // which communes a node may act for
	KindPeer    Kind = 4 // a city node's API URL, for forwarding to the leader
	KindResolve Kind = 5 // city IT's decision on a change in the conflict queue
	KindCorrect Kind = 6 // a city correction: the only way to change a deceased citizen's record
	// Fleet kinds (fleet.go); their payload is a FleetOp.
	KindToken     Kind = 7  // city IT made an enrollment token
	KindEnroll    Kind = 8  // an edge enrolled with a token and got a certificate
	KindCert      Kind = 9  // an edge renewed its certificate
	KindRevoke    Kind = 10 // city IT revoked a node
	KindSuspend   Kind = 11 // the not-seen policy suspended a node
	KindReinstate Kind = 12 // city IT lifted a suspension
	KindTelemetry Kind = 13 // what an edge reported about itself
	KindAudit     Kind = 14 // a batch of an edge's audit log
	KindOfficer   Kind = 15 // city IT added, replaced or disabled an officer account (officers.go)
	KindCRL       Kind = 16 // the fleet CA's revocation list of city-node and admin certificates (crl.go)
	KindPresence  Kind = 17 // a verified proof of presence: a grant to a node for a citizen (presence.go)
	KindTrust     Kind = 18 // city IT added or removed CSCA certificates and CRLs (trust.go)
	KindNodeKey   Kind = 19 // an edge escrowed its key slot secret, or a locked edge asked for it (nodekey.go)
	KindChallenge Kind = 20 // a presence challenge issued to a node (presence.go)
	KindGroup     Kind = 21 // pushes of several edges the leader put in one entry (group.go)
	// Data quality (quality.go); their payloads are a FindingOp and a SweepOp.
	KindFindingReview Kind = 22 // city IT confirmed, dismissed or reopened a data-quality finding, or merged a duplicate pair
	KindQualitySweep  Kind = 23 // the leader re-checks a range of citizens with every rule
	// KindLevel raises the cluster's feature level (level.go).
	KindLevel Kind = 24
)

// Errors of commands.
var (
	// ErrCommand is returned for a log entry that does not decode.
	ErrCommand = errors.New("fsm: malformed log command")
	// ErrForbidden is returned for a command its sender may not send (see
	// Authorize); nothing is applied.
	ErrForbidden = errors.New("fsm: sender may not send this command")
)

// Sender is who a command is from: the identity and role of the
// certificate on the connection the city node accepted it from (an edge,
// city IT's admin certificate, or the city node itself). The city stamps
// it; it is never read from what the caller sent.
type Sender struct {
	Role registry.Role
	ID   string
}

func (s Sender) String() string { return string(s.Role) + " " + s.ID }

// stamped marks, in the first byte of an entry, the log format that
// carries the sender (format 2). Entries of format 1 (before senders were
// stamped) decode with a zero Sender and are decided by the rules of
// their time (see Legacy).
const stamped = 0x80

// Command is a decoded log entry. Received is the leader's clock when it
// accepted the command: the only clock the FSM ever reads.
type Command struct {
	Kind     Kind
	Received time.Time
	From     Sender              // who sent it; zero in entries of log format 1
	Changes  []*registry.Change  // KindChanges
	Records  []*registry.Citizen // KindImport
	Node     string              // KindAssign, KindPeer
	Communes []string            // KindAssign
	URL      string              // KindPeer
	// KindResolve: the history entry decided, accept or not, and why.
	// KindCorrect: Citizen and Patch, with Reason. By names city IT's
	// operator in both.
	Entry    uint64
	Accept   bool
	Reason   string
	By       string
	Citizen  string
	Patch    registry.Patch
	Fleet    *FleetOp    // the fleet kinds
	Officer  *OfficerOp  // KindOfficer
	Presence *PresenceOp // KindChallenge, KindPresence
	CRL      []byte      // KindCRL: DER of the fleet CA's revocation list
	Trust    *TrustOp    // KindTrust
	NodeKey  *NodeKeyOp  // KindNodeKey
	Pushes   []*Command  // KindGroup: KindChanges commands, each with its own sender and receive time
	Finding  *FindingOp  // KindFindingReview
	Sweep    *SweepOp    // KindQualitySweep
	Level    uint64      // KindLevel: the feature level from this entry on
}

func (k Kind) fleet() bool { return k >= KindToken && k <= KindAudit }

// Legacy reports whether c is an entry of log format 1, which carries no
// sender.
func (c *Command) Legacy() bool { return c.From == (Sender{}) }

// Encode gives the log bytes of c: format 2, with the sender, unless c
// has none (Legacy: tests that write format-1 entries).
func (c *Command) Encode() []byte {
	b := []byte{byte(c.Kind)}
	if !c.Legacy() {
		b[0] |= stamped
	}
	b = binary.AppendUvarint(b, uint64(c.Received.UnixMilli()))
	if !c.Legacy() {
		b = appendString(appendString(b, string(c.From.Role)), c.From.ID)
	}
	switch c.Kind {
	case KindChanges:
		b = append(b, wire.EncodeChanges(c.Changes)...)
	case KindImport:
		b = binary.AppendUvarint(b, uint64(len(c.Records)))
		for _, r := range c.Records {
			b = registry.AppendCitizen(b, r, false)
		}
	case KindAssign:
		b = appendString(b, c.Node)
		b = binary.AppendUvarint(b, uint64(len(c.Communes)))
		for _, s := range c.Communes {
			b = appendString(b, s)
		}
	case KindPeer:
		b = appendString(appendString(b, c.Node), c.URL)
	case KindResolve:
		b = binary.AppendUvarint(b, c.Entry)
		accept := byte(0)
		if c.Accept {
			accept = 1
		}
		b = appendString(appendString(append(b, accept), c.Reason), c.By)
	case KindCorrect:
		ch := registry.Change{Node: cityNode, Seq: 1, Op: registry.OpCorrect, Citizen: c.Citizen, Patch: c.Patch, Note: c.Reason, Officer: c.By}
		b = registry.AppendChange(b, &ch)
	case KindOfficer:
		b = appendJSON(b, c.Officer)
	case KindChallenge, KindPresence:
		b = appendJSON(b, c.Presence)
	case KindCRL:
		b = append(b, c.CRL...)
	case KindTrust:
		b = appendJSON(b, c.Trust)
	case KindNodeKey:
		b = appendJSON(b, c.NodeKey)
	case KindGroup:
		b = appendGroup(b, c.Pushes)
	case KindFindingReview:
		b = appendJSON(b, c.Finding)
	case KindQualitySweep:
		b = appendJSON(b, c.Sweep)
	case KindLevel:
		b = binary.AppendUvarint(b, c.Level)
	default:
		if c.Kind.fleet() {
			b = appendJSON(b, c.Fleet)
		}
	}
	return b
}

// DecodeCommand parses log bytes.
func DecodeCommand(b []byte) (*Command, error) {
	if len(b) < 2 {
		return nil, fmt.Errorf("%w: %d bytes", ErrCommand, len(b))
	}
	c := &Command{Kind: Kind(b[0] &^ stamped)}
	ms, n := binary.Uvarint(b[1:])
	if n <= 0 {
		return nil, fmt.Errorf("%w: bad time", ErrCommand)
	}
	c.Received = time.UnixMilli(int64(ms)).UTC()
	rest := b[1+n:]
	var err error
	if b[0]&stamped != 0 {
		if c.From, rest, err = decodeSender(rest); err != nil {
			return nil, fmt.Errorf("%w: sender: %v", ErrCommand, err)
		}
	}
	switch c.Kind {
	case KindChanges:
		c.Changes, err = wire.DecodeChanges(rest)
	case KindImport:
		c.Records, err = decodeRecords(rest)
	case KindAssign:
		c.Node, c.Communes, err = decodeAssign(rest)
	case KindPeer:
		c.Node, c.URL, err = decodePeer(rest)
	case KindResolve:
		err = c.decodeResolve(rest)
	case KindCorrect:
		var ch *registry.Change
		if ch, rest, err = registry.DecodeChange(rest); err == nil {
			if len(rest) != 0 {
				err = errors.New("trailing bytes")
			}
			c.Citizen, c.Patch, c.Reason, c.By = ch.Citizen, ch.Patch, ch.Note, ch.Officer
		}
	case KindOfficer:
		c.Officer, err = decodeJSON[OfficerOp](rest)
	case KindChallenge, KindPresence:
		c.Presence, err = decodeJSON[PresenceOp](rest)
	case KindCRL:
		c.CRL = rest
	case KindTrust:
		c.Trust, err = decodeJSON[TrustOp](rest)
	case KindNodeKey:
		c.NodeKey, err = decodeJSON[NodeKeyOp](rest)
	case KindGroup:
		c.Pushes, err = decodeGroup(rest)
	case KindFindingReview:
		c.Finding, err = decodeJSON[FindingOp](rest)
	case KindQualitySweep:
		c.Sweep, err = decodeJSON[SweepOp](rest)
	case KindLevel:
		var n int
		if c.Level, n = binary.Uvarint(rest); n <= 0 || n != len(rest) {
			err = errors.New("malformed level")
		}
	default:
		if c.Kind.fleet() {
			c.Fleet, err = decodeJSON[FleetOp](rest)
		} else {
			err = fmt.Errorf("unknown kind %d", c.Kind)
		}
	}
	if err == nil {
		err = c.check()
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCommand, err)
	}
	return c, nil
}

// check refuses commands that decode but could not be applied: an entry
// in the log that made Apply fail would stop every replica alike, so what
// is not right is refused here, as a response, and changes nothing.
func (c *Command) check() error {
	switch c.Kind {
	case KindImport:
		for _, r := range c.Records {
			if _, err := registry.ParseID(r.ID); err != nil {
				return err
			}
		}
	case KindAssign:
		if !validName(c.Node) {
			return fmt.Errorf("node %q", c.Node)
		}
		for _, cm := range c.Communes {
			if !validName(cm) || strings.Contains(cm, ",") {
				return fmt.Errorf("commune %q", cm)
			}
		}
	case KindPeer:
		if !validName(c.Node) || c.URL == "" {
			return fmt.Errorf("peer %q at %q", c.Node, c.URL)
		}
	case KindOfficer:
		return c.checkOfficer()
	case KindChallenge, KindPresence:
		return c.checkPresence()
	case KindCRL:
		_, err := parseCRL(c.CRL)
		return err
	case KindTrust:
		return c.checkTrust()
	case KindNodeKey:
		return c.checkNodeKey()
	case KindFindingReview:
		return c.Finding.check()
	case KindQualitySweep:
		return c.Sweep.check()
	case KindLevel:
		switch {
		case c.Level == 0:
			return errors.New("feature level 0")
		case c.Legacy():
			return errors.New("a feature level without a sender") // log format 1 predates levels
		}
	default:
		if c.Kind.fleet() {
			return c.checkFleet()
		}
	}
	return nil
}

// validName is a node ID or commune code: 1–64 printable ASCII characters
// without spaces or separators.
func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c > '~' || c == '/' || c == ',' {
			return false
		}
	}
	return true
}

func decodeSender(b []byte) (Sender, []byte, error) {
	role, b, err := readString(b)
	if err != nil {
		return Sender{}, nil, err
	}
	id, b, err := readString(b)
	if err != nil {
		return Sender{}, nil, err
	}
	s := Sender{Role: registry.Role(role), ID: id}
	if !s.Role.Valid() || !validName(id) {
		return Sender{}, nil, fmt.Errorf("%q", s)
	}
	return s, b, nil
}

func decodeRecords(b []byte) ([]*registry.Citizen, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)) {
		return nil, errors.New("bad record count")
	}
	b = b[k:]
	rs := make([]*registry.Citizen, 0, n)
	for i := uint64(0); i < n; i++ {
		r, rest, err := registry.DecodeCitizen(b)
		if err != nil {
			return nil, err
		}
		rs, b = append(rs, r), rest
	}
	if len(b) != 0 {
		return nil, errors.New("trailing bytes")
	}
	return rs, nil
}

func decodeAssign(b []byte) (string, []string, error) {
	node, b, err := readString(b)
	if err != nil {
		return "", nil, err
	}
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)) {
		return "", nil, errors.New("bad commune count")
	}
	b = b[k:]
	out := make([]string, 0, n)
	for i := uint64(0); i < n; i++ {
		var s string
		if s, b, err = readString(b); err != nil {
			return "", nil, err
		}
		out = append(out, s)
	}
	if len(b) != 0 {
		return "", nil, errors.New("trailing bytes")
	}
	return node, out, nil
}

// appendJSON appends the JSON payload of the fleet, officer and presence
// kinds.
func appendJSON(b []byte, v any) []byte {
	j, _ := json.Marshal(v)
	return append(b, j...)
}

// decodeJSON reads such a payload strictly: no unknown fields, nothing
// after it.
func decodeJSON[T any](b []byte) (*T, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	v := new(T)
	if err := d.Decode(v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, errors.New("trailing data")
	}
	return v, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func readString(b []byte) (string, []byte, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k) {
		return "", nil, errors.New("bad string")
	}
	return string(b[k : k+int(n)]), b[k+int(n):], nil
}

func decodePeer(b []byte) (string, string, error) {
	node, b, err := readString(b)
	if err != nil {
		return "", "", err
	}
	url, b, err := readString(b)
	if err == nil && len(b) != 0 {
		err = errors.New("trailing bytes")
	}
	return node, url, err
}

func (c *Command) decodeResolve(b []byte) error {
	n, k := binary.Uvarint(b)
	if k <= 0 || len(b) < k+1 {
		return errors.New("bad entry")
	}
	c.Entry, c.Accept = n, b[k] == 1
	if b[k] > 1 {
		return errors.New("bad decision byte")
	}
	var err error
	if c.Reason, b, err = readString(b[k+1:]); err != nil {
		return err
	}
	if c.By, b, err = readString(b); err == nil && len(b) != 0 {
		err = errors.New("trailing bytes")
	}
	return err
}
