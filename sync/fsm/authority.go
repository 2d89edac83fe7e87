package fsm

import (
	"fmt"

	"github.com/xanode/xanode/node/registry"
)

// kindSenders is the command half of the authority table (DESIGN.md,
// "Trust model"): the one role that may send each kind of log command.
// The change half — which operation, which citizens, which fields — is
// registry.Authorities, applied per change by decide.
var kindSenders = map[Kind]registry.Role{
	KindChanges:   registry.RoleEdge,  // an office's changes, each recorded by the sender itself
	KindImport:    registry.RoleAdmin, // bulk load
	KindAssign:    registry.RoleAdmin, // which communes a node serves
	KindPeer:      registry.RoleCity,  // a city node's API URL
	KindResolve:   registry.RoleAdmin, // the conflict queue
	KindCorrect:   registry.RoleAdmin, // city correction
	KindToken:     registry.RoleAdmin, // enrollment token
	KindEnroll:    registry.RoleCity,  // the city node that checked the token, for the box that holds it
	KindCert:      registry.RoleEdge,  // renewal of the sender's own certificate
	KindRevoke:    registry.RoleAdmin,
	KindSuspend:   registry.RoleCity, // the not-seen policy, run by the leader
	KindReinstate: registry.RoleAdmin,
	KindTelemetry: registry.RoleEdge, // the sender's own health
	KindAudit:     registry.RoleEdge, // the sender's own audit log
	KindOfficer:   registry.RoleAdmin,
	KindCRL:       registry.RoleAdmin, // signed by the fleet CA, which the city checks before proposing
	KindTrust:     registry.RoleAdmin, // a master list or CRL whose signature the city checks before proposing
	KindChallenge: registry.RoleEdge,  // asked for by the edge; the bytes are the city's
	KindPresence:  registry.RoleEdge,  // the edge's proof, verified by the city node first
	// The city node that authenticated the edge — by its certificate for
	// an escrow, by its unlock key's signature for an unlock (a locked
	// box has no usable certificate) — for that edge (nodekey.go).
	KindNodeKey: registry.RoleCity,
	// The leader that grouped pushes of several edges; each push inside
	// is authorized as its own KindChanges command (group.go).
	KindGroup: registry.RoleCity,
	// Data quality: city IT decides on findings; the leader sweeps. An
	// office records and resolves findings through its changes
	// (identifications, registry.OpFindingResolve), so under KindChanges.
	KindFindingReview: registry.RoleAdmin,
	KindQualitySweep:  registry.RoleCity,
	// The leader, once every voter's release implements the level.
	KindLevel: registry.RoleCity,
}

// KindSender returns the role that may send kind ("" for none).
func KindSender(kind Kind) registry.Role { return kindSenders[kind] }

// Authorize checks what can be checked of a command's sender without the
// state: that its role may send the kind, and that an edge acts only as
// itself — every change it pushes was recorded by it (and may be sent by
// an edge at all), every fleet report names it. The city calls it before a
// command enters the log, so a refusal writes nothing; the FSM checks
// every entry of log format 2 again. The error wraps ErrForbidden.
func (c *Command) Authorize() error {
	if c.Legacy() {
		return fmt.Errorf("%w: command %d carries no sender", ErrForbidden, c.Kind)
	}
	want, ok := kindSenders[c.Kind]
	if !ok || c.From.Role != want {
		return fmt.Errorf("%w: %s may not send command %d", ErrForbidden, c.From, c.Kind)
	}
	switch c.Kind {
	case KindChanges:
		return c.authorizeChanges()
	case KindGroup:
		return c.authorizeGroup()
	case KindCert, KindTelemetry, KindAudit:
		if c.Fleet != nil && c.Fleet.Node != c.From.ID {
			return fmt.Errorf("%w: %s may not report for node %q", ErrForbidden, c.From, c.Fleet.Node)
		}
	case KindChallenge, KindPresence:
		if c.Presence != nil && c.Presence.Node != c.From.ID {
			return fmt.Errorf("%w: %s may not prove presence for node %q", ErrForbidden, c.From, c.Presence.Node)
		}
	}
	return nil
}

// MaxPush bounds the changes of one push: an edge's batches are smaller,
// and a larger one would hold the log for one office.
const MaxPush = 5000

func (c *Command) authorizeChanges() error {
	if len(c.Changes) > MaxPush {
		return fmt.Errorf("%w: %d changes in one push (at most %d)", ErrForbidden, len(c.Changes), MaxPush)
	}
	var last uint64
	for _, ch := range c.Changes {
		switch {
		case ch.Node != c.From.ID:
			return fmt.Errorf("%w: %s may not push change %s recorded by %q", ErrForbidden, c.From, ch.ID(), ch.Node)
		case ch.Seq <= last:
			// An edge pushes its outbox in order; a batch out of order or
			// naming a change twice is not one.
			return fmt.Errorf("%w: change %s out of order in the push", ErrForbidden, ch.ID())
		case !ch.Op.Known():
			return fmt.Errorf("%w: an edge may not send %q (change %s)", ErrForbidden, ch.Op, ch.ID())
		}
		last = ch.Seq
	}
	return nil
}
