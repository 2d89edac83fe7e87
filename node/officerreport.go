package node

import (
	"context"
	"time"

	"github.com/xanode/xanode/node/edge"
	"github.com/xanode/xanode/node/registry"
)

// reportWait is how long the officer UI waits for the city's report
// before it computes the box's own.
const reportWait = 5 * time.Second

// vietnam is the time zone of the offices (UTC+7, no daylight saving).
var vietnam = time.FixedZone("ICT", 7*60*60)

// Report is the commune's monthly report (webui.Reports): the city's,
// which counts every office's changes and the city's decisions, when it
// answers within reportWait; else the box's own, from its subset and
// what it recorded (registry.ReportEdge says so on the page). Asking is
// audited.
func (a *officerUI) Report(ctx context.Context, officer, month string) (*registry.Report, error) {
	l := a.n.current()
	if l == nil {
		_, _, err := a.live()
		return nil, err
	}
	from, to, err := registry.ParseMonth(month, vietnam)
	if err != nil {
		return nil, err
	}
	commune := l.edge.Commune()
	if err := l.store.Audit(a.now(), officer, edge.AuditReport, "", commune+" "+month); err != nil {
		return nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, reportWait)
	r, err := l.city.Report(cctx, commune, month)
	cancel()
	if err == nil {
		return r, nil
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	a.n.log.Warn("the city's report is unavailable; computing the box's own", "month", month, "err", err)
	now := a.now()
	y, m, d := now.In(vietnam).Date()
	return l.store.Report(commune, month, from, to, registry.Date{Year: y, Month: int(m), Day: d}, now)
}
