package cluster

import (
	"context"
	"errors"
	"fmt"
	gosync "sync"
	"time"

	"github.com/hashicorp/raft"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/fsm"
)

// DefaultGroupWindow is how long, at most, a push that reaches the leader
// while an earlier group is being committed waits for it to finish, so
// that it goes out with every other push that arrived meanwhile.
const DefaultGroupWindow = 2 * time.Millisecond

// maxGroupChanges bounds the changes of one group entry: a push beyond it
// waits for the next group (a single push may hold up to fsm.MaxPush).
const maxGroupChanges = fsm.MaxPush

// grouper is group commit at the leader (DESIGN.md, "Sync"): pushes
// (KindChanges) that arrive while a group is in flight are collected, for
// at most the window, and proposed together as one KindGroup entry — one
// log write and one replication round for all of them. A push that finds
// nothing in flight is proposed at once, alone, as the plain KindChanges
// entry it always was: a lone client never waits for the window. Each
// caller gets its own push's response; the FSM decides each push as its
// own entry would be decided (fsm.Group).
type grouper struct {
	n      *Node
	window time.Duration
	in     chan *pendingPush
	done   chan struct{} // a proposed group's future completed
	stop   chan struct{} // closed by close: ends run and the waiters
	once   gosync.Once
	wg     gosync.WaitGroup // run and every waiter
}

type pendingPush struct {
	cmd *fsm.Command
	res chan pushResult // buffered: the waiter never blocks on a caller that gave up
}

type pushResult struct {
	v   any
	err error
}

func newGrouper(n *Node, window time.Duration) *grouper {
	g := &grouper{n: n, window: window, in: make(chan *pendingPush), done: make(chan struct{}, fsm.MaxGroup), stop: make(chan struct{})}
	g.wg.Add(1)
	go g.run()
	return g
}

// apply queues a push for the next group and waits for its response.
func (g *grouper) apply(ctx context.Context, cmd *fsm.Command) (any, error) {
	p := &pendingPush{cmd: cmd, res: make(chan pushResult, 1)}
	select {
	case g.in <- p:
	case <-ctx.Done():
		return nil, fmt.Errorf("cluster: apply: %w", ctx.Err())
	case <-g.stop:
		return nil, fmt.Errorf("cluster: apply: %w", raft.ErrRaftShutdown)
	}
	select {
	case r := <-p.res:
		return r.v, r.err
	case <-ctx.Done():
		// The push may still commit: a retry is answered duplicate.
		return nil, fmt.Errorf("cluster: apply: %w", ctx.Err())
	}
}

// close stops collecting; pushes not yet proposed are answered with
// raft's shutdown error. Call it after raft has shut down, so that the
// futures waited on end. Safe to call twice.
func (g *grouper) close() {
	g.once.Do(func() { close(g.stop) })
	g.wg.Wait()
}

func (g *grouper) run() {
	defer g.wg.Done()
	inflight := 0
	var carry *pendingPush // a push that did not fit the last group
	for {
		first := carry
		carry = nil
		for first == nil {
			select {
			case first = <-g.in:
			case <-g.done:
				inflight--
			case <-g.stop:
				g.refuse(nil)
				return
			}
		}
		group, changes := []*pendingPush{first}, len(first.cmd.Changes)
		add := func(p *pendingPush) bool {
			if len(group) == fsm.MaxGroup || changes+len(p.cmd.Changes) > maxGroupChanges {
				carry = p
				return false
			}
			group, changes = append(group, p), changes+len(p.cmd.Changes)
			return true
		}
		timer := time.NewTimer(g.window)
	collect:
		for carry == nil {
			if inflight == 0 {
				// Nothing to wait for: take what is queued already, then go.
				select {
				case p := <-g.in:
					add(p)
					continue
				default:
					break collect
				}
			}
			select {
			case p := <-g.in:
				add(p)
			case <-g.done:
				inflight--
			case <-timer.C:
				break collect
			case <-g.stop:
				timer.Stop()
				g.refuse(append(group, carry))
				return
			}
		}
		timer.Stop()
		inflight++
		g.propose(group)
	}
}

// refuse answers the pushes given and those still queued after close.
func (g *grouper) refuse(group []*pendingPush) {
	err := fmt.Errorf("cluster: apply: %w", raft.ErrRaftShutdown)
	for _, p := range group {
		if p != nil {
			p.res <- pushResult{err: err}
		}
	}
	for {
		select {
		case p := <-g.in:
			p.res <- pushResult{err: err}
		default:
			return
		}
	}
}

// propose appends the group to the log and hands each push its response
// once it is committed and applied here.
func (g *grouper) propose(group []*pendingPush) {
	var data []byte
	if len(group) == 1 {
		data = group[0].cmd.Encode()
	} else {
		pushes := make([]*fsm.Command, len(group))
		for i, p := range group {
			pushes[i] = p.cmd
		}
		data = fsm.Group(fsm.Sender{Role: registry.RoleCity, ID: g.n.id}, time.Now().UTC(), pushes).Encode()
	}
	g.n.obs.grouped(len(group))
	fut := g.n.raft.Apply(data, 30*time.Second)
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		res := g.n.outcome(fut)
		switch {
		case len(group) == 1:
			group[0].res <- res
		case res.err != nil:
			for _, p := range group {
				p.res <- res
			}
		default:
			each, ok := res.v.([]any)
			for i, p := range group {
				switch {
				case !ok || len(each) != len(group):
					p.res <- pushResult{err: fmt.Errorf("cluster: unexpected response %T to a group of %d pushes", res.v, len(group))}
				case isErr(each[i]):
					p.res <- pushResult{err: fmt.Errorf("%w: %w", ErrRefused, each[i].(error))}
				default:
					p.res <- pushResult{v: each[i]}
				}
			}
		}
		select {
		case g.done <- struct{}{}:
		case <-g.stop:
		}
	}()
}

func isErr(v any) bool {
	_, ok := v.(error)
	return ok
}

// outcome waits for an applied entry's future and gives its response the
// way Apply does.
func (n *Node) outcome(fut raft.ApplyFuture) pushResult {
	if err := fut.Error(); err != nil {
		if errors.Is(err, raft.ErrNotLeader) || errors.Is(err, raft.ErrLeadershipLost) {
			return pushResult{err: n.notLeader()}
		}
		return pushResult{err: fmt.Errorf("cluster: apply: %w", err)}
	}
	if err, ok := fut.Response().(error); ok {
		return pushResult{err: fmt.Errorf("%w: %w", ErrRefused, err)}
	}
	return pushResult{v: fut.Response()}
}
