package fsm

import (
	"fmt"
	"strconv"
	"time"

	"github.com/xanode/xanode/node/registry"
)

// Errors of city IT's commands. They are returned as the command's
// response (the same on every replica) and change nothing.
var (
	ErrNotInQueue = fmt.Errorf("fsm: no such change in the conflict queue")
)

// resolve decides a change waiting in the conflict queue. Accepting applies
// its patch as it stands (a birth gets its ID from the pool); rejecting
// closes it. Either way the decision is recorded in the history, the
// change's stored outcome is updated for the edge that recorded it, and
// the entry leaves the queue.
func (f *FSM) resolve(t *txn, index uint64, received time.Time, cmd *Command) (*registry.Outcome, error) {
	key := u64(cmd.Entry)
	// The queue's keys have empty values, which bbolt reads as nil while
	// the transaction that wrote them is open and as empty once it is
	// committed: before level 2 a resolution applied together with the
	// change it decides (a replay after a restart, a quick decision) was
	// refused by a replica that had not committed in between, and applied
	// by one that had. From level 2 the key's presence decides.
	queued := t.tx.Bucket(bReview).Get(key) != nil
	if t.historyChain() != nil { // level 2
		queued = t.has(bReview, key)
	}
	if !queued {
		return nil, fmt.Errorf("%w: entry %d", ErrNotInQueue, cmd.Entry)
	}
	v, _, err := historyEntry(t.tx, cmd.Entry)
	if err != nil {
		return nil, err
	}
	e, err := decodeEntry(v)
	if err != nil {
		return nil, err
	}
	c := e.Change
	o := &registry.Outcome{Change: c.ID(), Index: index, Citizen: e.Outcome.Citizen}
	why := fmt.Sprintf("resolved by %s: %s", cmd.By, cmd.Reason)
	switch {
	case !cmd.Accept:
		reject(o, why)
	case c.Op == registry.OpRegisterBirth:
		f.birth(t, c, o)
	default:
		cit := loadCitizen(t, c.Citizen)
		if cit == nil {
			reject(o, "citizen no longer exists")
			break
		}
		old := cit.Get(registry.FieldCommune)
		stamp := registry.Stamp{Index: index, Time: registry.HLCFromTime(received), Node: cityNode}
		for _, fv := range c.Patch {
			cit.Set(fv.Field, fv.Value, stamp)
		}
		storeCitizen(t, cit, old)
		o.Result = registry.Applied
	}
	if o.Result != registry.Rejected {
		o.Reason = why
	}
	if err := t.tx.Bucket(bReview).Delete(key); err != nil {
		panic(fmt.Sprintf("fsm: bbolt review queue: %v", err))
	}
	resolution := &registry.Change{Node: cityNode, Seq: index, Officer: cmd.By, Op: registry.OpCorrect,
		Citizen: o.Citizen, Note: "resolution of " + c.ID() + " (entry " + strconv.FormatUint(cmd.Entry, 10) + "): " + why,
		Time: registry.HLCFromTime(received)}
	f.record(t, resolution, &registry.Outcome{Change: resolution.ID(), Result: o.Result, Reason: why, Index: index, Citizen: o.Citizen})
	t.putOutcome([]byte(c.ID()), registry.AppendOutcome(nil, o), index)
	t.events = append(t.events, Event{Kind: EventDecided, Node: c.Node, Change: c.ID()})
	return o, nil
}

// correct applies a city correction: any field, on any record, the death
// status included. It is validated like any change, then applied whole.
func (f *FSM) correct(t *txn, index uint64, received time.Time, cmd *Command) (*registry.Outcome, error) {
	ch := &registry.Change{Node: cityNode, Seq: index, Officer: cmd.By, Op: registry.OpCorrect,
		Citizen: cmd.Citizen, Patch: cmd.Patch, Note: cmd.Reason, Time: registry.HLCFromTime(received)}
	if err := ch.ValidateAs(registry.RoleAdmin); err != nil {
		return nil, err
	}
	if cmd.Reason == "" || cmd.By == "" {
		return nil, fmt.Errorf("fsm: a city correction needs the operator and the grounds")
	}
	cit := loadCitizen(t, cmd.Citizen)
	if cit == nil {
		return nil, fmt.Errorf("fsm: unknown citizen %s", cmd.Citizen)
	}
	old := cit.Get(registry.FieldCommune)
	stamp := registry.Stamp{Index: index, Time: ch.Time, Node: cityNode}
	wasMerged := cit.Merged()
	for _, fv := range cmd.Patch {
		cit.Set(fv.Field, fv.Value, stamp)
	}
	if wasMerged && !cit.Merged() { // city IT took a merge back: the record is a resident again
		t.del(bMerged, []byte(cit.ID))
	}
	storeCitizen(t, cit, old)
	o := &registry.Outcome{Change: ch.ID(), Result: registry.Applied, Reason: cmd.Reason, Index: index, Citizen: cit.ID}
	f.record(t, ch, o)
	return o, nil
}
