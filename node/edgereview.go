package node

import (
	"context"
	"time"

	"github.com/xanode/xanode/node/edge"
	"github.com/xanode/xanode/node/quality"
	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/client"
	"github.com/xanode/xanode/sync/wire"
	"github.com/xanode/xanode/webui"
)

// The office's "cần rà soát" list (DESIGN.md, "Data quality"): the edge
// fetches its residents' open findings from the city at start and on its
// pull timer, keeps them sealed in its store, and the officer UI shows
// them; a resolution is a change recorded like any other.

var _ webui.Review = (*officerUI)(nil)

// reviewLoop keeps the review list fresh while the edge runs.
func (n *Edge) reviewLoop(ctx context.Context, city *client.Client, store *edge.Store) {
	every := n.cfg.PullEvery
	if every == 0 {
		every = 5 * time.Minute
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		cctx, cancel := context.WithTimeout(ctx, time.Minute)
		fs, err := city.Findings(cctx)
		cancel()
		switch {
		case err == nil:
			if err := store.SaveReviewList(n.clock.Now(), fs); err != nil {
				n.log.Warn("review list not kept", "err", err)
			}
		case ctx.Err() == nil:
			n.log.Info("review list not fetched; the one kept is shown", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// maxResolutionsScanned bounds how far back the recorded changes are read
// for resolutions still waiting for the city.
const maxResolutionsScanned = 500

// ReviewList implements webui.Review: the list kept, each finding marked
// with this office's resolution while the city has not taken it off the
// list (still in the outbox, or applied after the list was fetched).
func (a *officerUI) ReviewList() (webui.ReviewList, error) {
	_, store, err := a.live()
	if err != nil {
		return webui.ReviewList{}, err
	}
	fetched, fs, err := store.ReviewList()
	if err != nil {
		return webui.ReviewList{}, err
	}
	recent, err := store.Recent(maxResolutionsScanned)
	if err != nil {
		return webui.ReviewList{}, err
	}
	resolved := map[string]string{} // finding reference → change
	for _, r := range recent {
		c := r.Change
		if c.Op != registry.OpFindingResolve {
			continue
		}
		if r.Outcome == nil || (r.Outcome.Result == registry.Applied && c.Time.Time().After(fetched)) {
			if _, seen := resolved[c.Procedure]; !seen {
				resolved[c.Procedure] = c.ID()
			}
		}
	}
	out := webui.ReviewList{Fetched: fetched}
	for _, f := range fs {
		out.Items = append(out.Items, webui.ReviewItem{ID: f.ID, Rule: f.Rule, Citizen: f.Citizen, Other: f.Other,
			Household: f.Household, Fields: f.Fields, Evidence: uiEvidence(officeEvidence(f)), Chip: f.Chip, Assurance: f.Assurance,
			State: f.State, Found: f.Found, Resolved: resolved[registry.FindingRef(f.ID)]})
	}
	return out, nil
}

// officeEvidence is a finding's evidence as the city stated it; a list
// fetched from a city of an earlier release has its English sentence only.
func officeEvidence(f wire.Finding) quality.Evidence {
	if len(f.Statements) > 0 {
		return f.Statements
	}
	return quality.Evidence{{Key: quality.KeyText, Args: map[string]string{"text": f.Evidence}}}
}
