package node

import (
	"context"
	"crypto/x509"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	gosync "sync"
	"sync/atomic"
	"time"

	"github.com/xanode/xanode/reader/trust"
	"github.com/xanode/xanode/sync/client"
	"github.com/xanode/xanode/sync/trustlist"
)

// CSCATrust is the CSCA trust store an edge's card reader checks chips
// against (passive authentication): the edge's own --csca files plus the
// city's signed trust list (DESIGN.md, "Trust model"). A newer list
// replaces the store at once, atomically: a read takes Store when it
// starts and uses that store to its end, the next read the new one. The
// edge's own files stay in every store, as an addition.
type CSCATrust struct {
	local   *trust.Store // the edge's own files; nil: none
	cur     atomic.Pointer[trust.Store]
	version atomic.Uint64
}

// NewCSCATrust starts with the edge's own CSCA files (nil: none) until a
// trust list from the city is installed.
func NewCSCATrust(local *trust.Store) *CSCATrust {
	t := &CSCATrust{local: local}
	t.cur.Store(mergeTrust(local, nil, slog.Default()))
	return t
}

// Store returns the store in force, or nil when it holds no CSCA (passive
// authentication is then not checked and reads say chip-read). A nil
// CSCATrust has none.
func (t *CSCATrust) Store() *trust.Store {
	if t == nil {
		return nil
	}
	if s := t.cur.Load(); s.Len() > 0 {
		return s
	}
	return nil
}

// Version is the version of the city's trust list installed (0: none).
func (t *CSCATrust) Version() uint64 {
	if t == nil {
		return 0
	}
	return t.version.Load()
}

// install makes l, with the edge's own files, the store in force.
func (t *CSCATrust) install(l *trustlist.List, log *slog.Logger) {
	items := make([]trustItem, 0, len(l.Items))
	for _, it := range l.Items {
		items = append(items, trustItem{crl: it.Kind == trustlist.KindCRL, der: it.DER})
	}
	t.cur.Store(mergeTrust(t.local, items, log))
	t.version.Store(l.Version)
}

// edgeTrustFile keeps the last verified trust list in the edge's data
// folder. It holds only public certificates and CRLs, so it is not sealed;
// it is verified again when the edge starts.
const edgeTrustFile = "csca-trust.list"

// edgeTrust keeps an edge's CSCATrust up to date: it fetches the city's
// trust list when the city says the set changed and on its own timer, and
// installs a list only once it verified (the root the edge was enrolled
// with) and is not older than the one held.
type edgeTrust struct {
	csca  *CSCATrust
	roots *x509.CertPool
	dir   string
	every time.Duration
	now   func() time.Time // the edge's clock: the signer must be valid by it
	log   *slog.Logger
	asked chan struct{} // asks for a fetch now; capacity 1
	mu    gosync.Mutex  // serialises fetches
}

func newEdgeTrust(csca *CSCATrust, roots *x509.CertPool, dir string, every time.Duration, now func() time.Time, log *slog.Logger) *edgeTrust {
	if csca == nil {
		csca = NewCSCATrust(nil)
	}
	if every <= 0 {
		every = 5 * time.Minute
	}
	t := &edgeTrust{csca: csca, roots: roots, dir: dir, every: every, now: now, log: log, asked: make(chan struct{}, 1)}
	t.load()
	return t
}

// load installs the list kept in the data folder, if it still verifies.
func (t *edgeTrust) load() {
	data, err := os.ReadFile(filepath.Join(t.dir, edgeTrustFile))
	if errors.Is(err, os.ErrNotExist) {
		return
	}
	if err == nil {
		var l *trustlist.List
		if l, err = trustlist.Open(data, trustlist.Verifier{Roots: t.roots, Now: t.now()}); err == nil {
			t.csca.install(l, t.log)
			t.log.Info("CSCA trust list loaded", "version", l.Version, "items", len(l.Items))
			return
		}
	}
	t.log.Warn("the CSCA trust list kept in the data folder is not used; fetching it from the city", "err", err)
}

// soon asks for a fetch now (the city said the set changed).
func (t *edgeTrust) soon() {
	select {
	case t.asked <- struct{}{}:
	default:
	}
}

// run fetches through city (the unlocked edge's client: the box's key is
// sealed while it is locked) at start, on soon, and every t.every, until
// ctx ends.
func (t *edgeTrust) run(ctx context.Context, city *client.Client) {
	tick := time.NewTicker(t.every)
	defer tick.Stop()
	for {
		if err := t.refresh(ctx, city); err != nil && ctx.Err() == nil {
			t.log.Warn("CSCA trust list not updated", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-t.asked:
		}
	}
}

// refresh fetches the city's list unless the version held is current,
// verifies it, keeps it in the data folder and swaps the store.
func (t *edgeTrust) refresh(ctx context.Context, city *client.Client) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	held := t.csca.Version()
	data, err := city.TrustList(ctx, held)
	if err != nil || data == nil {
		return err
	}
	l, err := trustlist.Open(data, trustlist.Verifier{Roots: t.roots, Now: t.now(), Held: held})
	if errors.Is(err, trustlist.ErrRollback) {
		t.log.Error("the city sent a CSCA trust list older than the one held: refused (a replayed list, or a city restored from an old backup)", "err", err)
		return nil
	}
	if err != nil {
		return err
	}
	if l.Version == held && held != 0 {
		return nil
	}
	if err := writeFileAtomic(filepath.Join(t.dir, edgeTrustFile), data); err != nil {
		return err
	}
	t.csca.install(l, t.log)
	t.log.Info("CSCA trust list installed: card reads now check chips against it", "version", l.Version, "items", len(l.Items), "held", held)
	return nil
}

// writeFileAtomic replaces path with data: a crash leaves the old file or
// the new one.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
