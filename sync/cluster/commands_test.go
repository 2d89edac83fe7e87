package cluster

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/fsm"
)

// applierFunc is a test double of Applier.
type applierFunc func(ctx context.Context, cmd *fsm.Command) (any, error)

func (f applierFunc) Apply(ctx context.Context, cmd *fsm.Command) (any, error) { return f(ctx, cmd) }

func TestTypedCommands(t *testing.T) {
	edge := fsm.Sender{Role: registry.RoleEdge, ID: "edge-1"}
	changes := []*registry.Change{{Node: "edge-1", Seq: 1}}
	answer := func(v any, err error) Applier {
		return applierFunc(func(_ context.Context, cmd *fsm.Command) (any, error) {
			if cmd.Kind != fsm.KindChanges || cmd.From != edge || len(cmd.Changes) != 1 {
				t.Errorf("command %+v", cmd)
			}
			return v, err
		})
	}
	ctx := context.Background()
	outs, err := Push(ctx, answer([]*registry.Outcome{{Change: "edge-1/1", Result: registry.Applied}}, nil), edge, changes)
	if err != nil || len(outs) != 1 || outs[0].Result != registry.Applied {
		t.Fatalf("push: %v %+v", err, outs)
	}
	if _, err := Push(ctx, answer(7, nil), edge, changes); err == nil || !strings.Contains(err.Error(), "int") {
		t.Errorf("a response of another type: %v", err)
	}
	if _, err := Push(ctx, answer([]*registry.Outcome{}, nil), edge, changes); err == nil {
		t.Error("no outcome for one change went unnoticed")
	}
	if _, err := Push(ctx, answer(nil, ErrRefused), edge, changes); !errors.Is(err, ErrRefused) {
		t.Errorf("the applier's error: %v", err)
	}
	if _, err := Decide(ctx, answer(nil, nil), &fsm.Command{Kind: fsm.KindImport}); err == nil {
		t.Error("an import passed for a decision")
	}
}
