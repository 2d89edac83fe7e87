package node

import (
	"github.com/xanode/xanode/node/edge"
	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/fsm"
)

// localAdmin is the sender of what the demo and the in-process benchmarks
// do as city IT: they hold the cluster in their own process, where no
// admin certificate is presented.
var localAdmin = fsm.Sender{Role: registry.RoleAdmin, ID: "demo"}

// cityAccount is the command that gives a commune an officer account, as
// `xanode fleet officer add` makes it (the password hashed here; the city
// keeps only the hash).
func cityAccount(commune, user, name, role, password string) (*fsm.Command, error) {
	ph, err := edge.HashPassword(password)
	if err != nil {
		return nil, err
	}
	return &fsm.Command{Kind: fsm.KindOfficer, From: localAdmin, Officer: &fsm.OfficerOp{By: localAdmin.ID,
		OfficerAccount: fsm.OfficerAccount{Commune: commune, User: user, Name: name, Role: role,
			Salt: ph.Salt, Hash: ph.Hash, Time: ph.Time, Memory: ph.Memory, Threads: ph.Threads}}}, nil
}
