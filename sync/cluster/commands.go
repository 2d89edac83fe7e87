package cluster

import (
	"context"
	"fmt"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/fsm"
)

// Applier replicates a command and gives the FSM's response once it is
// committed: a Node (the leader), or the city API's apply, which forwards
// a follower's command to the leader.
type Applier interface {
	Apply(ctx context.Context, cmd *fsm.Command) (any, error)
}

var _ Applier = (*Node)(nil)

// The typed commands: each replicates one kind of command through an
// Applier and returns the FSM's response as the type that kind answers
// with (fsm.FSM.ApplyBatch), so that no caller asserts the type of an any.
// A response of another type is an error naming both, never a panic.

// Push replicates an edge's changes (KindChanges) and returns their
// outcomes, one per change, in order.
func Push(ctx context.Context, a Applier, from fsm.Sender, changes []*registry.Change) ([]*registry.Outcome, error) {
	outs, err := apply[[]*registry.Outcome](ctx, a, &fsm.Command{Kind: fsm.KindChanges, From: from, Changes: changes})
	if err == nil && len(outs) != len(changes) {
		return nil, fmt.Errorf("cluster: %d outcomes for %d changes", len(outs), len(changes))
	}
	return outs, err
}

// Import replicates a batch of city records (KindImport) and returns how
// many the FSM loaded.
func Import(ctx context.Context, a Applier, from fsm.Sender, records []*registry.Citizen) (int, error) {
	return apply[int](ctx, a, &fsm.Command{Kind: fsm.KindImport, From: from, Records: records})
}

// Decide replicates city IT's resolution of a change in the conflict
// queue (KindResolve) or a correction of a record (KindCorrect), and
// returns its outcome.
func Decide(ctx context.Context, a Applier, cmd *fsm.Command) (*registry.Outcome, error) {
	if cmd.Kind != fsm.KindResolve && cmd.Kind != fsm.KindCorrect {
		return nil, fmt.Errorf("cluster: a decision is a resolution or a correction, not kind %d", cmd.Kind)
	}
	return apply[*registry.Outcome](ctx, a, cmd)
}

// Enroll records an edge's enrollment with a token (KindEnroll).
func Enroll(ctx context.Context, a Applier, from fsm.Sender, op *fsm.FleetOp) (*fsm.EnrollResult, error) {
	return apply[*fsm.EnrollResult](ctx, a, &fsm.Command{Kind: fsm.KindEnroll, From: from, Fleet: op})
}

// Audit appends a batch of an edge's audit log (KindAudit).
func Audit(ctx context.Context, a Applier, from fsm.Sender, op *fsm.FleetOp) (*fsm.AuditResult, error) {
	return apply[*fsm.AuditResult](ctx, a, &fsm.Command{Kind: fsm.KindAudit, From: from, Fleet: op})
}

// GrantPresence records a verified proof of presence (KindPresence) and
// returns the grant.
func GrantPresence(ctx context.Context, a Applier, from fsm.Sender, op *fsm.PresenceOp) (*fsm.Presence, error) {
	return apply[*fsm.Presence](ctx, a, &fsm.Command{Kind: fsm.KindPresence, From: from, Presence: op})
}

// ChangeTrust adds to or removes from the CSCA trust set (KindTrust).
func ChangeTrust(ctx context.Context, a Applier, from fsm.Sender, op *fsm.TrustOp) (*fsm.TrustResult, error) {
	return apply[*fsm.TrustResult](ctx, a, &fsm.Command{Kind: fsm.KindTrust, From: from, Trust: op})
}

// NodeKey escrows an edge's key slot secret or answers a locked edge's
// unlock (KindNodeKey); an escrow's result carries no secret.
func NodeKey(ctx context.Context, a Applier, from fsm.Sender, op *fsm.NodeKeyOp) (*fsm.NodeKeyResult, error) {
	return apply[*fsm.NodeKeyResult](ctx, a, &fsm.Command{Kind: fsm.KindNodeKey, From: from, NodeKey: op})
}

// ReviewFinding records city IT's decision on a data-quality finding
// (KindFindingReview) and returns the finding after it.
func ReviewFinding(ctx context.Context, a Applier, from fsm.Sender, op *fsm.FindingOp) (*fsm.Finding, error) {
	return apply[*fsm.Finding](ctx, a, &fsm.Command{Kind: fsm.KindFindingReview, From: from, Finding: op})
}

// Sweep re-checks a chunk of citizens with the data-quality rules
// (KindQualitySweep) and says where the next chunk starts.
func Sweep(ctx context.Context, a Applier, from fsm.Sender, op *fsm.SweepOp) (*fsm.SweepResult, error) {
	return apply[*fsm.SweepResult](ctx, a, &fsm.Command{Kind: fsm.KindQualitySweep, From: from, Sweep: op})
}

// apply replicates cmd and gives the response as T.
func apply[T any](ctx context.Context, a Applier, cmd *fsm.Command) (T, error) {
	var zero T
	res, err := a.Apply(ctx, cmd)
	if err != nil {
		return zero, err
	}
	v, ok := res.(T)
	if !ok {
		return zero, fmt.Errorf("cluster: the state machine answered %T to a command of kind %d, not %T", res, cmd.Kind, zero)
	}
	return v, nil
}
