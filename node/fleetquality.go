package node

import (
	"context"
	"time"

	"github.com/xanode/xanode/node/quality"
	"github.com/xanode/xanode/sync/api"
	"github.com/xanode/xanode/sync/fsm"
	"github.com/xanode/xanode/webui/fleetui"
	"github.com/xanode/xanode/webui/i18n"
)

var _ fleetui.Quality = (*FleetAdmin)(nil)

// QualityReport implements fleetui.Quality.
func (f *FleetAdmin) QualityReport(ctx context.Context) (fleetui.QualityReport, error) {
	rep, err := f.city.Quality(ctx)
	if err != nil {
		return fleetui.QualityReport{}, uiError(err)
	}
	out := fleetui.QualityReport{On: rep.On}
	for _, r := range rep.Rules {
		out.Rules = append(out.Rules, fleetui.QualityRule{Rule: string(r.Rule), Category: string(r.Category), Exact: r.Exact})
	}
	conv := func(fg fsm.Figures) fleetui.QualityFigures {
		q := fleetui.QualityFigures{Commune: fg.Commune, Citizens: fg.Citizens, Alive: fg.Alive, Fields: fg.Fields, Findings: fg.Findings}
		if fg.Week != "" {
			q.Week, _ = time.ParseInLocation(time.DateOnly, fg.Week, vietnam)
		}
		return q
	}
	for _, fg := range rep.Now {
		out.Now = append(out.Now, conv(fg))
	}
	for _, fg := range rep.Weekly {
		out.Weekly = append(out.Weekly, conv(fg))
	}
	return out, nil
}

// Findings implements fleetui.Quality.
func (f *FleetAdmin) Findings(ctx context.Context, q fleetui.FindingQuery) ([]fleetui.Finding, error) {
	fs, err := f.city.Findings(ctx, api.FindingsQuery{Commune: q.Commune, Citizen: q.Citizen, Rule: q.Rule, States: q.States, Limit: q.Limit})
	if err != nil {
		return nil, uiError(err)
	}
	return uiFindings(fs), nil
}

func uiFindings(fs []fsm.Finding) []fleetui.Finding {
	out := make([]fleetui.Finding, len(fs))
	for i, x := range fs {
		out[i] = fleetui.Finding{ID: x.ID, Rule: string(x.Rule), Citizen: x.Citizen, Other: x.Other, Household: x.Household,
			Commune: x.Commune, Fields: x.Fields, Evidence: uiEvidence(x.Evidence), Chip: x.Chip, Assurance: x.Assurance, Node: x.Node,
			Read: x.Read, Found: x.Found, State: x.State, Reason: x.Reason, By: x.By, Changed: x.Changed}
	}
	return out
}

// Citizen implements fleetui.Quality.
func (f *FleetAdmin) Citizen(ctx context.Context, id string) (fleetui.CitizenRecord, error) {
	v, err := f.city.Citizen(ctx, id)
	if err != nil {
		return fleetui.CitizenRecord{}, uiError(err)
	}
	return fleetui.CitizenRecord{ID: v.ID, Fields: v.Fields, Findings: uiFindings(v.Findings), MergedInto: v.MergedInto}, nil
}

// ReviewFinding implements fleetui.Quality.
func (f *FleetAdmin) ReviewFinding(ctx context.Context, id uint64, action, reason string) error {
	_, err := f.city.ReviewFinding(ctx, api.FindingReview{ID: id, Action: action, Reason: reason})
	return uiError(err)
}

// MergeFinding implements fleetui.Quality.
func (f *FleetAdmin) MergeFinding(ctx context.Context, id uint64, keep, reason string) error {
	_, err := f.city.ReviewFinding(ctx, api.FindingReview{ID: id, Action: fsm.ReviewMerge, Keep: keep, Reason: reason})
	return uiError(err)
}

// uiEvidence hands a finding's evidence to the UIs, which say it in their
// reader's language (i18n.Lang.Evidence).
func uiEvidence(e quality.Evidence) []i18n.Statement {
	out := make([]i18n.Statement, len(e))
	for i, s := range e {
		out[i] = i18n.Statement{Key: s.Key, Args: s.Args}
	}
	return out
}
