package node

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/xanode/xanode/node/edge"
	"github.com/xanode/xanode/node/vault"
	"github.com/xanode/xanode/sync/client"
)

// Key custody on the edge (DESIGN.md, "Trust model"): the store's master key and
// the node's private key are opened with a data key held in key slots
// (package vault). This file opens them: at start (the old key file of a
// folder being converted, the TPM, the city), on an officer's login, and
// locks them away again when the city revokes the box.

// openVault loads dir's key slots, converting a data folder of an older
// version first: its key file store.key becomes the master key and a
// transitional slot, its plain edge.key is sealed, and a city slot waits
// to be escrowed. The transitional slot and the plain files go once a
// durable slot exists (finishMigration).
func openVault(dir, node string, log *slog.Logger) (*vault.Vault, error) {
	if vault.Exists(dir) {
		return vault.Load(dir)
	}
	keyPath := filepath.Join(dir, edge.KeyFileName)
	key, err := readHexKey(keyPath)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if _, serr := os.Stat(filepath.Join(dir, edgeDB)); serr == nil {
			return nil, fmt.Errorf("edge: %s has a store but neither key slots (%s) nor its key file %s: "+
				"restore them from the box's backup (xanode edge restore)", dir, vault.FileName, edge.KeyFileName)
		}
		// A folder enrolled by an older version (or by `xanode fleet
		// issue`) that never ran: its first key file is made here.
		key = make([]byte, 32)
		rand.Read(key)
		if err := vault.WriteFile(keyPath, []byte(hex.EncodeToString(key)+"\n")); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	}
	v, err := vault.Create(dir, node, key)
	if err != nil {
		return nil, err
	}
	if err := v.PutFile(key); err != nil {
		return nil, err
	}
	if err := v.PrepareCity(); err != nil {
		return nil, err
	}
	if err := sealPlainKey(dir, v); err != nil {
		return nil, err
	}
	log.Warn("data folder converted to key slots: the key file stays until the city holds this box's slot secret or an officer logs in",
		"dir", dir)
	v.Lock()
	return v, nil
}

func readHexKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("%w: key file %s must hold 64 hexadecimal digits", edge.ErrKey, path)
	}
	return key, nil
}

// sealPlainKey seals a plain edge.key into edge.key.sealed; the plain
// file is shredded by finishMigration.
func sealPlainKey(dir string, v *vault.Vault) error {
	plain, err := os.ReadFile(filepath.Join(dir, edgeKeyFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	sealed, err := v.Seal(edgeKeyFile, plain)
	if err != nil {
		return err
	}
	return installFiles(dir, []edgeFile{{edgeSealedKey, sealed, 0o600}})
}

// loadSealedPair opens the node's sealed key and pairs it with edge.crt,
// completing a renewal a crash interrupted between the key's rename and
// the certificate's (edge.crt.next then fits the new key).
func loadSealedPair(dir string, v *vault.Vault) (tls.Certificate, error) {
	sealed, err := os.ReadFile(filepath.Join(dir, edgeSealedKey))
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("edge: sealed key: %w", err)
	}
	keyPEM, err := v.Open(edgeKeyFile, sealed)
	if err != nil {
		return tls.Certificate{}, err
	}
	defer clear(keyPEM)
	certPath := filepath.Join(dir, edgeCertFile)
	certPEM, err := os.ReadFile(certPath)
	if err != nil {
		return tls.Certificate{}, err
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err == nil {
		return pair, nil
	}
	next, nerr := os.ReadFile(certPath + ".next")
	if nerr != nil {
		return pair, err
	}
	if pair, nerr = tls.X509KeyPair(next, keyPEM); nerr != nil {
		return pair, err
	}
	return pair, os.Rename(certPath+".next", certPath)
}

// finishMigration removes the transitional slot, the old key file and the
// plain private key once a durable slot exists.
func (n *Edge) finishMigration() {
	if !n.vault.Has(vault.KindFile) && !exists(filepath.Join(n.dir, edge.KeyFileName)) && !exists(filepath.Join(n.dir, edgeKeyFile)) {
		return
	}
	if !n.vault.Durable() {
		return
	}
	err := n.vault.RemoveFile()
	for _, f := range []string{edge.KeyFileName, edgeKeyFile, edgeKeyFile + ".next"} {
		err = errors.Join(err, vault.Shred(filepath.Join(n.dir, f)))
	}
	if err != nil {
		n.log.Error("removing the old key file", "err", err)
		return
	}
	n.log.Info("old key file and plain node key shredded: the data key is in key slots only", "slots", slotKinds(n.vault))
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func slotKinds(v *vault.Vault) string {
	var kinds []string
	for _, s := range v.Slots() {
		kinds = append(kinds, s.Kind)
	}
	return strings.Join(kinds, ",")
}

// unlockAtStart tries the slots that need nobody: the old key file of a
// folder being converted, the TPM, the city (one attempt; the key loop
// retries).
func (n *Edge) unlockAtStart() {
	if n.Locked().Kind == LockRevoked {
		n.log.Error("this box was revoked by the city and has destroyed or locked away its keys: it serves nothing",
			"reason", n.Locked().Reason)
		return
	}
	if key, err := readHexKey(filepath.Join(n.dir, edge.KeyFileName)); err == nil && n.vault.Has(vault.KindFile) {
		n.tryUnlock("key file", func() error { return n.vault.UnlockFile(key) })
	}
	if n.cfg.TPM != nil && n.vault.Has(vault.KindTPM) && n.current() == nil {
		n.tryUnlock("TPM", func() error { return n.vault.UnlockTPM(n.cfg.TPM) })
	}
	if n.current() == nil {
		ctx, cancel := context.WithTimeout(n.runCtx, 15*time.Second)
		n.unlockByCity(ctx)
		cancel()
	}
}

// tryUnlock opens a slot and starts the edge; failures are logged.
func (n *Edge) tryUnlock(how string, open func() error) bool {
	err := n.unlockWith(how, open)
	if err != nil {
		n.log.Warn("key slot did not open", "slot", how, "err", err)
	}
	return err == nil
}

// unlockWith opens a slot with open and starts the edge on it, unless it
// runs already, is revoked or closing.
func (n *Edge) unlockWith(how string, open func() error) error {
	n.openMu.Lock()
	defer n.openMu.Unlock()
	n.mu.Lock()
	running, lk, closing := n.live != nil, n.lock, n.closing
	n.mu.Unlock()
	switch {
	case running:
		return nil
	case closing:
		return errors.New("edge: closing")
	case lk.Kind == LockRevoked && !(n.cfg.KeepSlotsOnRevoke && n.revokedAtStart && strings.HasPrefix(how, "officer ")):
		return fmt.Errorf("edge: revoked by the city (%s): the box stays locked", lk.Reason)
	case lk.Kind == LockRevoked:
		// --keep-slots-on-revoke, after a restart: an officer opens a
		// revoked box to investigate; the city's refusals no longer lock
		// it this run.
		n.mu.Lock()
		n.investigating = true
		n.mu.Unlock()
		n.log.Warn("a REVOKED box is being opened by an officer to investigate (--keep-slots-on-revoke)", "officer", how)
	}
	start := time.Now()
	if err := open(); err != nil {
		return err
	}
	if err := n.startLive(); err != nil {
		n.vault.Lock()
		return err
	}
	n.log.Info("edge unlocked", "slot", how, "took", time.Since(start).Round(time.Millisecond))
	if n.cfg.TPM != nil && !n.vault.Has(vault.KindTPM) {
		if err := n.vault.PutTPM(n.cfg.TPM); err != nil {
			n.log.Error("sealing a key slot to the TPM failed", "err", err)
		}
	}
	n.finishMigration()
	n.restoreUIKey()
	n.pruneSlots(n.Store())
	n.events.publish("sync", "")
	n.keyEvent(keyEscrow, "")
	return nil
}

// unlockByCity asks the city for the city slot's secret. It reports
// whether the city answered (whatever the answer).
func (n *Edge) unlockByCity(ctx context.Context) bool {
	key, err := n.vault.UnlockKey()
	if err != nil || n.vault.CityEscrowPending() {
		return false // no city slot the city could open
	}
	u := &client.Unlocker{URLs: n.ID.City, Roots: n.roots, Node: n.ID.Node, Key: key, CityTime: n.clock.CityTime, Check: n.crl.verifyConnection}
	res, err := u.Unlock(ctx)
	switch {
	case err == nil:
		n.tryUnlock("city", func() error { return n.vault.UnlockCity(res.Secret) })
		clear(res.Secret)
		return true
	case errors.Is(err, client.ErrNodeRevoked):
		n.revoke(res.Reason)
		return true
	case errors.Is(err, client.ErrNodeSuspended):
		n.setLock(LockState{Kind: LockSuspended, Reason: res.Reason, Since: time.Now()})
		n.log.Warn("the city suspended this box: it stays locked until an officer logs in or city IT reinstates it", "reason", res.Reason)
		return true
	case errors.Is(err, client.ErrNoSlotSecret):
		n.mu.Lock()
		n.escrow = true
		n.mu.Unlock()
		n.log.Warn("the city holds no key slot secret for this box: an officer with a key slot must log in; the box then escrows a new one", "err", err)
		return true
	}
	n.log.Warn("city unreachable for unlocking; retrying", "err", err)
	return false
}

func (n *Edge) setLock(lk LockState) {
	n.mu.Lock()
	if n.live == nil {
		n.lock = lk
	}
	n.mu.Unlock()
	n.events.publish("sync", "")
}

// UnlockOfficer opens the store with an officer's key slot (the login of
// a locked edge). ErrBadLogin-like failures are vault.ErrNoSlot and
// vault.ErrWrongKey; the caller checks the password against the account
// again once the store is open. The slot's key is derived before the
// edge's unlock lock is taken, through the KDF gate like every password
// check: a flood of logins on a locked box is refused with edge.ErrBusy
// instead of queueing behind one another.
func (n *Edge) UnlockOfficer(ctx context.Context, user, password string) error {
	if n.current() != nil {
		return nil
	}
	if lk := n.Locked(); lk.Kind == LockRevoked && !(n.cfg.KeepSlotsOnRevoke && n.revokedAtStart) {
		return fmt.Errorf("edge: revoked by the city (%s): the box stays locked", lk.Reason)
	}
	k, err := n.vault.OfficerKEK(ctx, user, password)
	if err != nil {
		return err
	}
	defer k.Forget()
	return n.unlockWith("officer "+user, func() error {
		_, err := n.vault.UnlockOfficerKey(k)
		return err
	})
}

// officerLoggedIn makes or refreshes the key slot of an officer whose
// password the store just accepted, so that the officer's login unlocks
// the box after a reboot, offline. A slot not made now (no turn at the
// KDF gate) is made at a later login.
func (n *Edge) officerLoggedIn(ctx context.Context, o edge.Officer, password string) {
	stamp, err := n.vault.Stamp(o.StampMaterial())
	if err != nil || n.vault.HasOfficer(o.User, stamp) {
		return
	}
	if err := n.vault.PutOfficer(ctx, o.User, stamp, password); err != nil {
		n.log.Warn("the officer's key slot was not made; the next login tries again", "user", o.User, "err", err)
		return
	}
	n.log.Info("key slot made for officer", "user", o.User)
	n.finishMigration()
}

// pruneSlots removes the key slots of officer accounts that are gone,
// disabled, or whose password or role changed.
func (n *Edge) pruneSlots(store *edge.Store) {
	if store == nil {
		return
	}
	officers, err := store.Officers()
	if err != nil {
		n.log.Error("reading the officer accounts to prune key slots", "err", err)
		return
	}
	stamps := map[string]string{}
	for _, o := range officers {
		if o.Disabled {
			continue
		}
		st, err := n.vault.Stamp(o.StampMaterial())
		if err != nil {
			return
		}
		stamps[n.vault.UserID(o.User)] = st
	}
	if k, err := n.vault.PruneOfficers(stamps); err != nil {
		n.log.Error("pruning key slots", "err", err)
	} else if k > 0 {
		n.log.Info("key slots of changed or removed officer accounts removed", "slots", k)
	}
}

// revokedNote is what revoked.json keeps: why the box locked for good.
type revokedNote struct {
	Reason string    `json:"reason"`
	Since  time.Time `json:"since"`
}

// revoke locks the edge for good: the sync loops and the store stop,
// sessions end (the UI sees the lock), DK is forgotten and, unless
// KeepSlotsOnRevoke, the key slots and the sealed node key are destroyed.
func (n *Edge) revoke(reason string) {
	n.openMu.Lock()
	defer n.openMu.Unlock()
	start := time.Now()
	n.mu.Lock()
	if n.investigating {
		n.mu.Unlock()
		n.log.Warn("the city still refuses this revoked box; it stays open for the investigation", "reason", reason)
		return
	}
	l := n.live
	n.live = nil
	n.lock = LockState{Kind: LockRevoked, Reason: reason, Since: start}
	n.mu.Unlock()
	n.events.publish("sync", "") // open pages re-read: their sessions end
	if l != nil {
		if err := l.stop(); err != nil {
			n.log.Error("closing the store on revocation", "err", err)
		}
	}
	n.cred.set(tls.Certificate{Leaf: n.cred.get().Leaf})
	note, _ := json.Marshal(revokedNote{Reason: reason, Since: start})
	if err := vault.WriteFile(filepath.Join(n.dir, edgeRevoked), note); err != nil {
		n.log.Error("recording the revocation", "err", err)
	}
	if n.cfg.KeepSlotsOnRevoke {
		n.vault.Lock()
		n.log.Error("REVOKED by the city: locked; key slots kept (--keep-slots-on-revoke)", "reason", reason,
			"took", time.Since(start).Round(time.Millisecond))
		return
	}
	err := n.vault.Destroy()
	for _, f := range []string{edgeSealedKey, edgeKeyFile, edge.KeyFileName} {
		err = errors.Join(err, vault.Shred(filepath.Join(n.dir, f)))
	}
	if err != nil {
		n.log.Error("destroying the key slots", "err", err)
	}
	n.log.Error("REVOKED by the city: locked and key slots destroyed; the data on this box can no longer be read",
		"reason", reason, "took", time.Since(start).Round(time.Millisecond))
}

// refused is the sync client's hook: the city refused this edge.
func (n *Edge) refused(revoked bool, reason string) {
	if revoked {
		n.keyEvent(keyRevoked, reason)
		return
	}
	n.keyEvent(keyProbe, reason)
}

// keyEvent is what the key loop is told.
type keyEvent struct {
	kind   int
	reason string
}

const (
	keyProbe   = iota + 1 // a revocation is suspected: ask the city
	keyRevoked            // the city named a revocation
	keyEscrow             // unlocked: escrow the city slot if needed
	keyRekey              // reassigned: rewrite the store under a new key (Edge.rekeyFor)
)

func (n *Edge) keyEvent(kind int, reason string) {
	select {
	case n.keyNow <- keyEvent{kind, reason}:
	default:
	}
}

// keyLoop owns the edge's key custody while it runs: it asks the city for
// the slot secret while locked (backing off to UnlockEvery), checks the
// node's state when a revocation is suspected, and escrows the city slot
// when the city needs a new one.
func (n *Edge) keyLoop(ctx context.Context) {
	every := n.cfg.UnlockEvery
	if every == 0 {
		every = time.Minute
	}
	wait := time.Second
	for {
		t := time.NewTimer(wait)
		var ev keyEvent
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case ev = <-n.keyNow:
			t.Stop()
		case <-t.C:
		}
		n.mu.Lock()
		why := n.rekeyFor
		n.mu.Unlock()
		switch {
		case ev.kind == keyRevoked:
			n.revoke(ev.reason)
		case why != "" && n.Locked().Kind != LockRevoked:
			done, err := n.rekeyLive(why)
			if err != nil {
				n.log.Error("rewriting the store under a new key failed; retrying", "err", err)
				wait = time.Second
				continue
			}
			n.mu.Lock()
			if done && n.rekeyFor == why {
				n.rekeyFor = ""
			}
			n.mu.Unlock()
		case ev.kind == keyProbe:
			n.probe(ctx)
		case n.Locked().Kind == LockRevoked:
			wait = time.Hour
			continue
		case n.current() == nil:
			if !n.unlockByCity(ctx) {
				wait = min(2*wait, every)
				continue
			}
		default:
			n.escrowIfNeeded(ctx)
		}
		wait = every
	}
}

// probe asks the city whether the node is revoked (the stream said so,
// or the city refused a handshake).
func (n *Edge) probe(ctx context.Context) {
	key, err := n.vault.UnlockKey()
	if err != nil {
		return
	}
	u := &client.Unlocker{URLs: n.ID.City, Roots: n.roots, Node: n.ID.Node, Key: key, CityTime: n.clock.CityTime, Check: n.crl.verifyConnection}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	res, err := u.Probe(ctx)
	if errors.Is(err, client.ErrNodeRevoked) {
		n.revoke(res.Reason)
	}
}

// escrowIfNeeded gives the city a new slot secret when its city slot is
// pending (a converted folder, a rekeyed box) or the city holds none.
func (n *Edge) escrowIfNeeded(ctx context.Context) {
	l := n.current()
	n.mu.Lock()
	need := n.escrow
	n.mu.Unlock()
	if l == nil || !need && n.vault.Has(vault.KindCity) && !n.vault.CityEscrowPending() {
		return
	}
	if !n.vault.CityEscrowPending() {
		if err := n.vault.PrepareCity(); err != nil {
			n.log.Error("making a city key slot", "err", err)
			return
		}
	}
	if err := escrowCity(ctx, n.vault, l.city); err != nil {
		n.log.Warn("escrowing the city key slot failed; retrying", "err", err)
		return
	}
	n.mu.Lock()
	n.escrow = false
	n.mu.Unlock()
	n.log.Info("city key slot escrowed: the box now starts unattended while the city knows it")
	n.finishMigration()
}

// escrowCity sends the pending city slot's secret to the city and, once
// it holds it, forgets it.
func escrowCity(ctx context.Context, v *vault.Vault, city *client.Client) error {
	secret, pub, ok, err := v.CityPending()
	if err != nil || !ok {
		return err
	}
	defer clear(secret)
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := city.Escrow(ctx, pub, secret); err != nil {
		return err
	}
	return v.CityEscrowed(pub)
}

// rekeyLive rewrites the running edge's store under a new master key
// (after a purge or a reassignment): the loops and the store stop, the
// file is rewritten (edge.Rekey), the new key is recorded, and the edge
// runs again. The old key is kept beside the new one until the rewrite is
// in place, so a crash at any point leaves a store the vault opens.
func (n *Edge) rekeyLive(why string) (done bool, err error) {
	n.openMu.Lock()
	defer n.openMu.Unlock()
	n.mu.Lock()
	l := n.live
	if l != nil {
		n.live, n.lock = nil, LockState{Kind: LockLocked, Reason: why, Since: time.Now()}
	}
	closing := n.closing
	n.mu.Unlock()
	if closing || l == nil && n.vault.Locked() {
		return false, nil // done at the next unlock (rekeyFor stays)
	}
	start := time.Now()
	if l != nil {
		if err := l.stop(); err != nil {
			return false, err
		}
	}
	if err := rekeyStore(n.dir, n.vault); err != nil {
		return false, err
	}
	if err := n.startLive(); err != nil {
		return false, err
	}
	n.log.Info("store rewritten under a new key: the old commune's pages cannot be decrypted any more", "why", why,
		"took", time.Since(start).Round(time.Millisecond))
	return true, nil
}

// rekeyStore rewrites a closed store under a fresh master key.
func rekeyStore(dir string, v *vault.Vault) error {
	old, err := v.Master()
	if err != nil {
		return err
	}
	defer clear(old)
	next := make([]byte, 32)
	rand.Read(next)
	defer clear(next)
	if err := v.SetNextMaster(next); err != nil {
		return err
	}
	if err := edge.Rekey(filepath.Join(dir, edgeDB), old, next); err != nil {
		return err
	}
	return v.PromoteMaster()
}
