package node

import (
	"context"
	"time"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/cluster"
	"github.com/xanode/xanode/sync/fsm"
)

// DefaultQualityEvery spaces the data-quality sweeps: the rules that move
// with the date alone (a card age reached, a temporary residence ended,
// a record gone stale) are judged again once a day.
const DefaultQualityEvery = 24 * time.Hour

// qualitySweepChunk is how many citizens one sweep entry re-checks: a few
// tens of milliseconds of the log's time, so that offices' pushes
// interleave (DESIGN.md, "Data quality").
const qualitySweepChunk = 2000

// qualityLoop runs the data-quality sweep while this node leads, once the
// city's last sweep (in raft: fsm.QualitySwept) is QualityEvery old — at
// once in a city that never swept, where the first sweep turns the rules
// on — each a walk over every citizen in chunks through raft. A walk cut
// by a lost leadership is made again by the next leader, from the start.
func (c *City) qualityLoop() {
	every := c.cfg.QualityEvery
	if every == 0 {
		every = DefaultQualityEvery
	}
	if every < 0 {
		return
	}
	// The time of the last sweep is read a tenth of the interval apart, at
	// most 10 s: each read commits the applied entries first, which the
	// leader would otherwise pay five times a second under load.
	t := time.NewTicker(min(max(every/10, registerEvery), 10*time.Second))
	defer t.Stop()
	for {
		if c.node.IsLeader() {
			if swept, err := c.node.FSM().QualitySwept(); err == nil && time.Since(swept) >= every {
				c.sweepCity()
			}
		}
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
	}
}

// sweepCity walks every citizen once; false if it was cut short (the
// next tick tries again).
func (c *City) sweepCity() bool {
	start, from, checked := time.Now(), "", 0
	for {
		select {
		case <-c.stop:
			return false
		default:
		}
		if !c.node.IsLeader() {
			return false
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		r, err := cluster.Sweep(ctx, c.node, fsm.Sender{Role: registry.RoleCity, ID: c.cfg.ID},
			&fsm.SweepOp{From: from, Limit: qualitySweepChunk})
		cancel()
		if err != nil {
			c.log.Warn("data-quality sweep failed; the next tick tries again", "after", from, "err", err)
			return false
		}
		checked += r.Checked
		if r.Next == "" {
			c.log.Info("data-quality sweep done", "citizens", checked, "took", time.Since(start).Round(time.Millisecond))
			return true
		}
		from = r.Next
	}
}
