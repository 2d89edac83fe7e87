package node

import (
	"context"
	"crypto/tls"
	"slices"
	"time"

	"github.com/xanode/xanode/certs"
)

// fleetLoop keeps the edge's place in the fleet: it renews the node
// certificate after two thirds of its life and follows the commune city IT
// assigns, checking every fleetEvery and whenever the city says so.
func (n *Edge) fleetLoop(ctx context.Context, l *liveEdge) {
	retry := time.Duration(0)
	for {
		wait := n.fleetEvery
		if err := n.fleetCheck(ctx, l); err != nil && ctx.Err() == nil {
			retry = min(max(2*retry, 5*time.Second), n.fleetEvery)
			wait = retry
			n.log.Warn("fleet check failed", "err", err, "retry_in", wait)
		} else {
			retry = 0
		}
		if leaf := n.cred.get().Leaf; leaf != nil {
			wait = min(wait, max(renewAt(leaf).Sub(n.clock.Now()), time.Second))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-n.fleetNow:
			t.Stop()
		case <-t.C:
		}
	}
}

// FleetCheckSoon makes the fleet loop check at once.
func (n *Edge) FleetCheckSoon() {
	select {
	case n.fleetNow <- struct{}{}:
	default:
	}
}

func (n *Edge) fleetCheck(ctx context.Context, l *liveEdge) error {
	if err := n.renewIfDue(ctx, l); err != nil {
		return err
	}
	communes, err := l.city.WhoAmI(ctx)
	if err != nil {
		return err
	}
	return n.follow(l, communes)
}

// follow switches to the commune city IT assigned, when it changed: the
// old commune's subset is purged at once, and the store is then rewritten
// under a new key (the key loop does it, as the fleet loop is one of the
// loops it stops), so that the old commune's pages cannot be decrypted
// with any key the box keeps.
func (n *Edge) follow(l *liveEdge, communes []string) error {
	current := l.edge.Commune()
	if len(communes) == 0 || slices.Contains(communes, current) {
		return nil
	}
	next := communes[0]
	if err := l.edge.Reassign(next); err != nil {
		return err
	}
	n.idMu.Lock()
	n.ID.Commune = next
	id := n.ID
	n.idMu.Unlock()
	if err := WriteEdgeFiles(n.dir, nil, nil, nil, &id); err != nil {
		return err
	}
	n.mu.Lock()
	n.rekeyFor = "reassigned from " + current + " to " + next // kept until done, should the signal be lost
	n.mu.Unlock()
	n.keyEvent(keyRekey, "")
	return nil
}

// renewIfDue renews the certificate once two thirds of its life are gone.
// The new key and certificate are stored before they are used; the next
// connection presents them, and the city accepts the old one until then.
func (n *Edge) renewIfDue(ctx context.Context, l *liveEdge) error {
	leaf := n.cred.get().Leaf
	if leaf == nil || n.clock.Now().Before(renewAt(leaf)) {
		return nil
	}
	keyPEM, csrPEM, err := certs.NewNodeKey(n.ID.Node)
	if err != nil {
		return err
	}
	var uiKey, uiCSR []byte
	var uiHosts []string
	if ui := n.cred.getUI(); ui != nil && ui.Leaf != nil {
		if uiKey, uiCSR, err = certs.NewNodeKey(n.ID.Node); err != nil {
			return err
		}
		uiHosts = certs.UIHosts(ui.Leaf)
	}
	certPEM, uiPEM, err := l.city.Renew(ctx, csrPEM, uiCSR, uiHosts)
	if err != nil {
		return err
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return err
	}
	var uiPair tls.Certificate
	if uiKey != nil {
		if uiPair, err = tls.X509KeyPair(uiPEM, uiKey); err != nil {
			return err
		}
	}
	sealed, err := n.vault.Seal(edgeKeyFile, keyPEM)
	if err != nil {
		return err
	}
	if err := WriteEdgeFiles(n.dir, certPEM, sealed, nil, nil); err != nil {
		return err
	}
	if uiKey != nil {
		if err := writeUIFiles(n.dir, uiPEM, uiKey); err != nil {
			return err
		}
		n.cred.setUI(&uiPair)
	}
	n.cred.set(pair)
	l.city.Reconnect()
	n.log.Info("node certificate renewed", "node", n.ID.Node, "until", pair.Leaf.NotAfter, "renew_at", renewAt(pair.Leaf))
	return nil
}
