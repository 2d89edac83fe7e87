package cityapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/hashicorp/raft"

	"github.com/xanode/xanode/sync/api"
	"github.com/xanode/xanode/sync/fsm"
)

// Feature levels (DESIGN.md, "Conflict resolution"): the leader raises the
// cluster's level to the newest every voter's release implements, so that
// what a new release decides differently starts at one entry of the log
// that every replica follows.

func (s *Server) levelRoutes() {
	s.handle(api.GetRelease, func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, api.Release{Level: fsm.ReleaseLevel})
	})
}

// RaiseLevel, on the leader, raises the cluster's feature level to the
// newest level every voter's release implements, when that is above the
// level the cluster is at; elsewhere, or when a voter cannot say (it is
// down, or runs a release from before the levels), it does nothing. The
// leader calls it every little while (node.StartCity); it returns the
// level raised to (0: none).
func (s *Server) RaiseLevel(ctx context.Context) (uint64, error) {
	if !s.cfg.Cluster.IsLeader() {
		return 0, nil
	}
	cur, err := s.cfg.Cluster.FSM().CommittedLevel()
	if err != nil || cur >= fsm.ReleaseLevel {
		return 0, err
	}
	servers, err := s.cfg.Cluster.Servers()
	if err != nil {
		return 0, err
	}
	peers, err := s.cfg.Cluster.FSM().Peers()
	if err != nil {
		return 0, err
	}
	var voters []string
	for _, sv := range servers {
		if sv.Suffrage == raft.Voter && string(sv.ID) != s.cfg.Cluster.ID() {
			voters = append(voters, string(sv.ID))
		}
	}
	target := lowestRelease(fsm.ReleaseLevel, voters, func(id string) (uint64, error) { return s.askRelease(ctx, peers[id]) })
	if target <= cur {
		return 0, nil
	}
	if _, err := s.apply(ctx, &fsm.Command{Kind: fsm.KindLevel, From: s.self(), Level: target}); err != nil {
		if errors.Is(err, fsm.ErrLevel) {
			return 0, nil // raised meanwhile
		}
		return 0, err
	}
	s.log.Info("cluster feature level raised", "level", target, "from", cur, "voters", len(voters)+1)
	return target, nil
}

// checkJoiner refuses, on the leader of a cluster at a feature level, a
// node whose release does not implement that level (or cannot say): it
// would stop at the next raise, or decide otherwise than the others.
func (s *Server) checkJoiner(ctx context.Context, j api.JoinRequest) error {
	if !s.cfg.Cluster.IsLeader() {
		return nil // the leader checks it (the join is forwarded there)
	}
	level, err := s.cfg.Cluster.FSM().Level()
	if err != nil || level == 0 {
		return err
	}
	n, err := s.askRelease(ctx, j.APIURL)
	switch {
	case err != nil:
		return fmt.Errorf("the cluster is at feature level %d and %s's release cannot be asked (%v): start it on the cluster's release", level, j.ID, err)
	case n < level:
		return fmt.Errorf("the cluster is at feature level %d and %s's release implements %d: start it on the cluster's release", level, j.ID, n)
	}
	return nil
}

// lowestRelease is the newest feature level every voter implements: own,
// this node's, lowered by each other voter's answer; a voter that cannot
// answer counts as level 0.
func lowestRelease(own uint64, voters []string, ask func(id string) (uint64, error)) uint64 {
	low := own
	for _, id := range voters {
		n, err := ask(id)
		if err != nil {
			return 0
		}
		low = min(low, n)
	}
	return low
}

// askRelease asks the city node whose API is at base which feature level
// its release implements.
func (s *Server) askRelease(ctx context.Context, base string) (uint64, error) {
	if base == "" || s.peers == nil {
		return 0, errors.New("cityapi: no API URL for a voter")
	}
	var r api.Release
	if err := s.getPeer(ctx, base+api.GetRelease.Path, &r); err != nil {
		return 0, fmt.Errorf("cityapi: asking a city node its release: %w", err)
	}
	return r.Level, nil
}
