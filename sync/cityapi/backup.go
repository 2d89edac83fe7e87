package cityapi

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/xanode/xanode/sync/api"
	"github.com/xanode/xanode/sync/cluster"
)

func (s *Server) backupRoutes() {
	s.handle(api.GetBackup, s.backup)
}

// backup streams a consistent backup of this node's state (see
// cluster.Backup): any node can answer, leader or not, and applies go on
// meanwhile. The body is the backup file; a client must check it to the
// end (cluster.BackupReader), since an error after the first byte can
// only cut the stream short.
func (s *Server) backup(w http.ResponseWriter, r *http.Request) {
	var term uint64
	if t, ok := s.cfg.Cluster.(interface{ Term() uint64 }); ok {
		term = t.Term()
	}
	b, err := cluster.NewBackup(s.cfg.Cluster.FSM(), s.cfg.Cluster.ID(), term, s.cfg.Now())
	if err != nil {
		httpError(w, http.StatusInternalServerError, "backup: %v", err)
		return
	}
	defer b.Close()
	h := b.Header
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="xanode-%s-%d.backup"`, h.Node, h.AppliedIndex))
	w.Header().Set(api.HeaderAppliedIndex, strconv.FormatUint(h.AppliedIndex, 10))
	w.Header().Set(api.HeaderStateDigest, h.StateDigest)
	w.WriteHeader(http.StatusOK)
	n, err := b.WriteTo(w)
	if err != nil {
		s.log.Warn("backup stream failed", "by", callerOf(r).id, "applied_index", h.AppliedIndex, "sent", n, "err", err)
		return
	}
	s.log.Info("backup sent", "by", callerOf(r).id, "applied_index", h.AppliedIndex, "state_digest", h.StateDigest,
		"state_bytes", h.StateBytes, "sent", n)
}
