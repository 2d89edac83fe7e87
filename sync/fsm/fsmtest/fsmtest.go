// Package fsmtest helps tests of the packages above sync/fsm build the
// commands a city would: stamped with the sender the authority table
// expects, and the officer accounts an edge's changes must name.
package fsmtest

import (
	"bytes"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/fsm"
)

// Stamp sets c's sender, unless it has one, to the one the authority
// table lets send its kind: "admin" for city IT, "city-1" for a city node,
// and for an edge's command the node its payload names. It returns c.
func Stamp(c *fsm.Command) *fsm.Command {
	if !c.Legacy() {
		return c
	}
	role := fsm.KindSender(c.Kind)
	id := map[registry.Role]string{registry.RoleAdmin: "admin", registry.RoleCity: "city-1", registry.RoleEdge: "edge-1"}[role]
	switch {
	case c.Kind == fsm.KindChanges && len(c.Changes) > 0:
		id = c.Changes[0].Node
	case c.Fleet != nil && role == registry.RoleEdge:
		id = c.Fleet.Node
	case c.Presence != nil:
		id = c.Presence.Node
	}
	c.From = fsm.Sender{Role: role, ID: id}
	return c
}

// Officer is city IT's command that gives commune the account user with
// role (registry.OfficerRole or SupervisorRole), under a made-up password
// hash: enough for the FSM to accept the changes user records.
func Officer(commune, user, role string) *fsm.Command {
	return Stamp(&fsm.Command{Kind: fsm.KindOfficer, Officer: &fsm.OfficerOp{By: "admin",
		OfficerAccount: fsm.OfficerAccount{Commune: commune, User: user, Name: "Cán bộ " + user,
			Role: role, Salt: bytes.Repeat([]byte{1}, 16), Hash: bytes.Repeat([]byte{2}, 32), Time: 3, Memory: 64 << 10, Threads: 2}}})
}
