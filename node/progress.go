package node

import (
	"log/slog"
	gosync "sync"
	"time"

	"github.com/xanode/xanode/node/edge"
	"github.com/xanode/xanode/webui"
)

// progressTick spaces the refreshes open pages get during a transfer;
// progressLog spaces the log lines an operator sees.
const (
	progressTick = 500 * time.Millisecond
	progressLog  = 5 * time.Second
)

// newProgress follows long downloads and imports: open pages refresh, and
// the log says how far it is and how long is left.
func newProgress(events *hub, log *slog.Logger) *edge.Tracker {
	var mu gosync.Mutex
	var logged time.Time
	var t *edge.Tracker
	t = edge.NewTracker(time.Now, progressTick, func() {
		events.publish(edge.EventSync, "")
		p := t.Get()
		mu.Lock()
		defer mu.Unlock()
		if p.Phase == "" || time.Since(logged) < progressLog {
			return
		}
		logged = time.Now()
		log.Info("transfer under way", "phase", p.Phase, "done", p.Done, "total", p.Total,
			"left", p.Left(time.Now()).Round(time.Second))
	})
	return t
}

func transferOf(p edge.Progress) *Transfer {
	if p.Phase == "" {
		return nil
	}
	return &Transfer{Phase: p.Phase, Done: p.Done, Total: p.Total, LeftSeconds: p.Left(time.Now()).Seconds()}
}

func webTransfer(p edge.Progress) webui.Transfer {
	phase := webui.TransferImport
	if p.Phase == edge.PhaseDownload {
		phase = webui.TransferDownload
	}
	if p.Phase == "" {
		phase = ""
	}
	return webui.Transfer{Phase: phase, Done: p.Done, Total: p.Total, Left: p.Left(time.Now())}
}
