package fsm

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/xanode/xanode/node/quality"
	"github.com/xanode/xanode/node/registry"
)

// City IT merges a duplicate pair (DESIGN.md, "Data quality"): never the
// rules, always a person who chose which record stays. The merge is one
// KindFindingReview entry, decided from the state alone like every
// command, so replicas retire the same record.

// bMerged names, for every retired duplicate, the record it was merged
// into: what a lookup of the retired ID at the city answers.
var bMerged = []byte("merged") // retired ID → kept ID

// ErrMerge is returned when a merge cannot be made; the entry changes
// nothing.
var ErrMerge = errors.New("fsm: cannot merge")

// merge retires the record of a duplicate pair that op.Keep does not name
// into the one it names: the kept record takes every field it lacks from
// the retired one (never overwriting one it states), and the retired
// person's household place when it has none; the retired record leaves its
// household and its commune's subset (status merged), keeps its history,
// and the finding is fixed.
func (f *FSM) merge(t *txn, index uint64, cmd *Command, old *Finding) any {
	op := cmd.Finding
	switch {
	case old.Rule != quality.RuleDuplicate:
		return fmt.Errorf("%w: finding %d is %s, not a duplicate pair", ErrMerge, op.ID, old.Rule)
	case old.Closed():
		return fmt.Errorf("%w: finding %d is %s", ErrMerge, op.ID, old.State)
	case op.Keep != old.Citizen && op.Keep != old.Other:
		return fmt.Errorf("%w: %s is not one of the pair %s, %s of finding %d", ErrMerge, op.Keep, old.Citizen, old.Other, op.ID)
	}
	gone := old.Citizen
	if gone == op.Keep {
		gone = old.Other
	}
	kept, retired := loadCitizen(t, op.Keep), loadCitizen(t, gone)
	switch {
	case kept == nil || retired == nil:
		return fmt.Errorf("%w: a record of finding %d no longer exists", ErrMerge, op.ID)
	case kept.Merged() || retired.Merged():
		return fmt.Errorf("%w: a record of finding %d was already merged into another", ErrMerge, op.ID)
	}
	stamp := registry.Stamp{Index: index, Time: registry.HLCFromTime(cmd.Received), Node: cityNode}
	filled := fill(kept, retired)
	if len(filled) > 0 {
		oldCommune := kept.Get(registry.FieldCommune)
		for _, fv := range filled {
			kept.Set(fv.Field, fv.Value, stamp)
		}
		storeCitizen(t, kept, oldCommune)
	}
	var patch registry.Patch
	for _, fld := range []registry.Field{registry.FieldHousehold, registry.FieldRelation} {
		if retired.Get(fld) != "" {
			patch = append(patch, registry.FieldValue{Field: fld})
		}
	}
	patch = append(patch, registry.FieldValue{Field: registry.FieldStatus, Value: registry.StatusMerged})
	oldCommune := retired.Get(registry.FieldCommune)
	for _, fv := range patch {
		retired.Set(fv.Field, fv.Value, stamp)
	}
	storeCitizen(t, retired, oldCommune)
	t.put(bMerged, []byte(retired.ID), []byte(kept.ID), true)

	names := make([]string, len(filled))
	for i, fv := range filled {
		names[i] = fv.Field.String()
	}
	why := fmt.Sprintf("merged into %s (finding %s): %s", kept.ID, registry.FindingRef(op.ID), op.Reason)
	if len(names) > 0 {
		why += "; " + kept.ID + " took " + strings.Join(names, ", ")
	}
	ch := &registry.Change{Node: cityNode, Seq: index, Officer: op.By, Op: registry.OpCorrect, Citizen: retired.ID,
		Patch: patch, Note: why, Time: stamp.Time}
	f.record(t, ch, &registry.Outcome{Change: ch.ID(), Result: registry.Applied, Reason: why, Index: index, Citizen: retired.ID})
	// The entry is in the retired record's history chain; the kept one
	// finds it through the (ID, seq) index.
	t.index(bByCitizen, []byte(kept.ID), u64(t.lastSeq()))

	next := *old
	next.History = slices.Clone(old.History)
	next.moveTo(FindingFixed, "admin "+op.By, "merged into "+kept.ID+": "+op.Reason, cmd.Received, index)
	t.putFinding(old, &next)
	// The answer, a copy of what was stored, also names the records that
	// still refer to the retired ID. Repointing them is left to city
	// corrections (KindCorrect) the receiving node proposes next, so that
	// this entry decides what every release before it decided and a city
	// upgraded node by node never disagrees on a merge.
	answer := next
	answer.Referrers = referrers(t, retired, kept.ID)
	return &answer
}

// referrers lists the records that name the retired record's ID as father
// or mother (through the children index), then as spouse (through the
// spouse index), each in ID order, the kept record aside.
func referrers(t *txn, retired *registry.Citizen, keep string) []Reference {
	var out []Reference
	gone := retired.ID
	for _, id := range t.members(bQChildren, gone, 0) {
		c := t.cit(id)
		if c == nil || id == keep {
			continue
		}
		for _, fld := range []registry.Field{registry.FieldFatherID, registry.FieldMotherID} {
			if c.Get(fld) == gone {
				out = append(out, Reference{Citizen: id, Field: fld.String()})
			}
		}
	}
	for _, id := range t.members(bQSpouses, gone, 0) {
		if c := t.cit(id); c != nil && id != keep && id != gone && c.Get(registry.FieldSpouseID) == gone {
			out = append(out, Reference{Citizen: id, Field: registry.FieldSpouseID.String()})
		}
	}
	return out
}

// fill lists the fields the kept record lacks and the retired one states,
// in field order. The household and the relation to its head go together:
// the kept record takes the retired one's place only when it is in no
// household, so that a relation never refers to another household's head.
// The status is the kept record's own.
func fill(kept, retired *registry.Citizen) registry.Patch {
	var out registry.Patch
	takeHousehold := kept.Get(registry.FieldHousehold) == ""
	for fld := registry.Field(1); int(fld) < registry.NumFields; fld++ {
		v := retired.Get(fld)
		switch {
		case v == "" || kept.Get(fld) != "" || fld == registry.FieldStatus:
		case (fld == registry.FieldHousehold || fld == registry.FieldRelation) && !takeHousehold:
		default:
			out = append(out, registry.FieldValue{Field: fld, Value: v})
		}
	}
	return out
}

// mergedReason is why an office's change to a retired duplicate is
// rejected: the record to use instead.
func mergedReason(t *txn, id string) string {
	if kept := t.get(bMerged, []byte(id)); kept != nil {
		return "the record was merged into " + string(kept) + " by city IT: use that record"
	}
	return "the record was retired as a duplicate by city IT"
}

// MergedInto returns the record a retired duplicate was merged into; "" if
// id was never merged.
func (f *FSM) MergedInto(id string) (string, error) {
	var kept string
	err := f.view(func(tx *bolt.Tx) error {
		kept = string(tx.Bucket(bMerged).Get([]byte(id)))
		return nil
	})
	return kept, err
}
