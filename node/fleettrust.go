package node

import (
	"context"

	"github.com/xanode/xanode/sync/fsm"
	"github.com/xanode/xanode/webui/fleetui"
)

var _ fleetui.TrustSource = (*FleetAdmin)(nil)

// Trust implements fleetui.TrustSource: the city's CSCA trust set as the
// dashboard shows it.
func (f *FleetAdmin) Trust(ctx context.Context) (fleetui.TrustSet, error) {
	v, err := f.city.Trust(ctx)
	if err != nil {
		return fleetui.TrustSet{}, uiError(err)
	}
	out := fleetui.TrustSet{Version: v.Version, Changed: v.Changed}
	for _, it := range v.Items {
		switch it.Kind {
		case fsm.TrustCSCA:
			out.CSCAs++
		case fsm.TrustCRL:
			out.CRLs = append(out.CRLs, fleetui.TrustCRL{Issuer: it.Issuer, ThisUpdate: it.ThisUpdate, NextUpdate: it.NextUpdate})
		}
	}
	return out, nil
}
