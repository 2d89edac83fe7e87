package cityapi

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/bundle"
)

// Bundles are immutable files named by (commune, from, to), so that an
// interrupted download resumes with an HTTP Range request against the
// very same bytes. The city keeps the ones it builds in Config.BundleDir
// and serves them with http.ServeContent; the ETag names the file and
// holds the start of its signature, so it changes whenever the bytes do
// (a rebuild signs a new creation time) and If-Range sends a whole new
// bundle rather than the tail of another one.
//
// An edge at version V asks for ?since=V and gets, in that order of
// preference: the bundle its If-Range names, if that one is still kept and
// starts at V (so a slow link finishes what it started even when the
// subset moved on meanwhile); a refresh when V is current (nothing
// changed, new expiry); a delta from V when it is smaller than the full
// bundle; otherwise the full bundle. since=0, or a V the city never
// reached, gets the full bundle (the edge refuses a rollback).
//
// An edge that reads bundle format 3 says so with ?format=3 and gets it;
// a request without it, from an edge of an earlier release, gets format 2,
// which that edge reads (DESIGN.md, "Signed subsets"). The two are kept
// side by side under names that differ.

// bundleExt ends the name of a cached bundle.
const bundleExt = ".xnb"

// keepVersions is how many of a commune's latest subset versions keep
// their bundles on disk: enough for an edge to finish a download that
// began a few versions ago.
const keepVersions = 3

// errMoved means the subset changed between two reads; the caller reads
// again.
var errMoved = errors.New("subset changed while the bundle was made")

// bundleFile is a bundle ready to serve.
type bundleFile struct {
	content io.ReadSeeker
	size    int64
	header  *bundle.Header
	etag    string // empty when not kept: it cannot be resumed
	close   func() error
}

func (s *Server) serveBundle(w http.ResponseWriter, r *http.Request, commune string) {
	if s.cfg.SigningKey == nil {
		httpError(w, http.StatusServiceUnavailable, "this node has no data-signing key")
		return
	}
	since := uint64(0)
	if q := r.URL.Query().Get("since"); q != "" {
		v, err := strconv.ParseUint(q, 10, 64)
		if err != nil {
			httpError(w, http.StatusBadRequest, "since must be the subset version held (a number), got %q", q)
			return
		}
		since = v
	}
	format := uint8(bundle.FormatRows)
	if q := r.URL.Query().Get("format"); q != "" {
		v, err := strconv.ParseUint(q, 10, 8)
		if err != nil {
			httpError(w, http.StatusBadRequest, "format must be the newest bundle format the edge reads (a number), got %q", q)
			return
		}
		if v >= bundle.FormatColumns {
			format = bundle.FormatColumns
		}
	}
	f, err := s.pickBundle(r, commune, since, format)
	if err != nil {
		httpError(w, http.StatusInternalServerError, "bundle of commune %s: %v", commune, err)
		return
	}
	defer f.close()
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Xanode-Subset-Version", strconv.FormatUint(f.header.To, 10))
	h.Set("X-Xanode-Bundle-From", strconv.FormatUint(f.header.From, 10))
	if f.etag != "" {
		h.Set("ETag", f.etag)
	}
	http.ServeContent(w, r, "", time.Time{}, f.content)
}

// pickBundle chooses and, when needed, builds the bundle for an edge at
// version since, in format (see the comment at the top of the file).
func (s *Server) pickBundle(r *http.Request, commune string, since uint64, format uint8) (*bundleFile, error) {
	if f := s.resumable(r, commune, since, format); f != nil {
		return f, nil
	}
	for range 3 {
		full, err := s.fullBundle(commune, format)
		if err != nil || since == 0 || since > full.header.To {
			return full, err
		}
		f, err := s.deltaBundle(commune, since, full.header, format)
		if errors.Is(err, errMoved) {
			full.close()
			continue
		}
		if err != nil {
			s.log.Warn("delta bundle failed; serving the full bundle", "commune", commune, "since", since, "err", err)
			return full, nil
		}
		if f.size >= full.size {
			f.close()
			return full, nil
		}
		full.close()
		return f, nil
	}
	return s.fullBundle(commune, format)
}

// resumable returns the kept bundle that the request's If-Range names, if
// it starts at since.
func (s *Server) resumable(r *http.Request, commune string, since uint64, format uint8) *bundleFile {
	tag := r.Header.Get("If-Range")
	c, from, to, ok := parseETag(tag)
	if !ok || c != commune || from != since || r.Header.Get("Range") == "" {
		return nil
	}
	f, err := s.cache().get(commune, from, to, format, false)
	if err != nil || f == nil {
		return nil
	}
	if f.etag != tag {
		f.close()
		return nil
	}
	return f
}

// fullBundle returns the full bundle of the commune's current subset.
func (s *Server) fullBundle(commune string, format uint8) (*bundleFile, error) {
	fsm := s.cfg.Cluster.FSM()
	for range 3 {
		v, err := fsm.SubsetVersion(commune)
		if err != nil {
			return nil, err
		}
		if f, err := s.cache().get(commune, 0, v, format, true); f != nil || err != nil {
			return f, err
		}
		officers, err := s.officersAt(commune, v)
		if errors.Is(err, errMoved) {
			continue
		}
		if err != nil {
			return nil, err
		}
		now := s.cfg.Now().UTC()
		h := bundle.Header{Format: format, Kind: bundle.KindFull, Commune: commune, To: v, Created: now, Expires: now.Add(s.cfg.BundleTTL),
			Officers: officers}
		var read uint64
		var readErr error
		records := func(yield func(*registry.Citizen) bool) {
			read, readErr = fsm.Subset(commune, func(c *registry.Citizen) error {
				if !yield(c) {
					return errMoved // Build stopped early; its own error is returned
				}
				return nil
			})
		}
		var buf bytes.Buffer
		if _, err := bundle.Build(&buf, h, records, s.cfg.SigningKey, s.cfg.SigningCert); err != nil {
			return nil, err
		}
		if readErr != nil {
			return nil, readErr
		}
		if read == v {
			return s.cache().put(commune, 0, v, format, buf.Bytes())
		}
	}
	return nil, fmt.Errorf("commune %s: %w three times", commune, errMoved)
}

// deltaBundle returns the delta from since to full's version, or the
// refresh of that version when since is it. full gives the digest of the
// subset at its version, which a delta must carry.
func (s *Server) deltaBundle(commune string, since uint64, full *bundle.Header, format uint8) (*bundleFile, error) {
	if f, err := s.cache().get(commune, since, full.To, format, true); f != nil || err != nil {
		return f, err
	}
	officers, err := s.officersAt(commune, full.To)
	if err != nil {
		return nil, err
	}
	var up []*registry.Citizen
	var rm []string
	if since != full.To {
		d, err := s.cfg.Cluster.FSM().SubsetDelta(commune, since)
		if err != nil {
			return nil, err
		}
		if d.To != full.To {
			return nil, errMoved
		}
		up, rm = d.Upserts, d.Removed
	}
	now := s.cfg.Now().UTC()
	h := bundle.Header{Format: format, Kind: bundle.KindDelta, Commune: commune, From: since, To: full.To, Digest: full.Digest,
		Created: now, Expires: now.Add(s.cfg.BundleTTL), Officers: officers}
	var buf bytes.Buffer
	if _, err := bundle.BuildDelta(&buf, h, up, rm, s.cfg.SigningKey, s.cfg.SigningCert); err != nil {
		return nil, err
	}
	return s.cache().put(commune, since, full.To, format, buf.Bytes())
}

// officersAt returns the commune's officer list as a bundle carries it
// (never nil: a bundle always says which accounts the commune has), or
// errMoved when the subset is no longer at version.
func (s *Server) officersAt(commune string, version uint64) ([]bundle.Officer, error) {
	list, v, err := s.cfg.Cluster.FSM().Officers(commune)
	if err != nil {
		return nil, err
	}
	if v != version {
		return nil, errMoved
	}
	out := make([]bundle.Officer, len(list))
	for i := range list {
		out[i] = list[i].Bundle()
	}
	return out, nil
}

func (s *Server) cache() bundleCache {
	return bundleCache{dir: s.cfg.BundleDir, maxAge: s.cfg.BundleTTL / 7, now: s.cfg.Now}
}

// bundleCache keeps built bundles in a folder. It holds no state of its
// own: two requests for a missing bundle may both build it, the last
// rename wins, and each serves the bytes it built (an open file outlives
// its replacement).
type bundleCache struct {
	dir    string        // "": keep nothing, every bundle is built for its request
	maxAge time.Duration // a kept bundle created longer ago is built again
	now    func() time.Time
}

// bundleName names a kept bundle; format 2, for edges of an earlier
// release, has rowsMark before the extension.
func bundleName(commune string, from, to uint64, format uint8) string {
	mark := ""
	if format != bundle.FormatColumns {
		mark = rowsMark
	}
	return fmt.Sprintf("%s-%d-%d%s%s", commune, from, to, mark, bundleExt)
}

const rowsMark = ".rows"

// etag names the bundle and holds the first 16 bytes of its signature.
func etag(h *bundle.Header, sig []byte) string {
	return fmt.Sprintf(`"%s-%d-%d-%s"`, h.Commune, h.From, h.To, hex.EncodeToString(sig[:16]))
}

// parseETag reads back the bundle an etag names.
func parseETag(tag string) (commune string, from, to uint64, ok bool) {
	tag, ok = strings.CutPrefix(tag, `"`)
	tag, ok2 := strings.CutSuffix(tag, `"`)
	i := strings.LastIndexByte(tag, '-')
	if !ok || !ok2 || i < 0 {
		return "", 0, 0, false
	}
	commune, from, to, _, ok = parseName(tag[:i] + bundleExt)
	return commune, from, to, ok
}

// parseName reads back a bundleName. Commune codes may hold '-', so the
// versions are taken from the end.
func parseName(name string) (commune string, from, to uint64, format uint8, ok bool) {
	name, ok = strings.CutSuffix(name, bundleExt)
	format = bundle.FormatColumns
	if rest, rows := strings.CutSuffix(name, rowsMark); rows {
		name, format = rest, bundle.FormatRows
	}
	parts := strings.Split(name, "-")
	n := len(parts)
	if !ok || n < 3 {
		return "", 0, 0, 0, false
	}
	from, err1 := strconv.ParseUint(parts[n-2], 10, 64)
	to, err2 := strconv.ParseUint(parts[n-1], 10, 64)
	return strings.Join(parts[:n-2], "-"), from, to, format, err1 == nil && err2 == nil
}

// get opens a kept bundle of format; nil when there is none or, with
// fresh, when it is older than maxAge.
func (c bundleCache) get(commune string, from, to uint64, format uint8, fresh bool) (*bundleFile, error) {
	if c.dir == "" {
		return nil, nil
	}
	f, err := os.Open(filepath.Join(c.dir, bundleName(commune, from, to, format)))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	h, sig, err := bundle.ReadHeader(f)
	st, serr := f.Stat()
	_, seekErr := f.Seek(0, io.SeekStart)
	// A bundle without an officer list was kept by an older city: it
	// would leave the edge's accounts as they are. So was a bundle of
	// format 2 under the name of format 3.
	if err != nil || serr != nil || seekErr != nil || (h.Format == bundle.FormatColumns) != (format == bundle.FormatColumns) ||
		fresh && (c.now().Sub(h.Created) > c.maxAge || h.Officers == nil) {
		f.Close() // damaged or old: build it again
		return nil, nil
	}
	return &bundleFile{content: f, size: st.Size(), header: h, etag: etag(h, sig), close: f.Close}, nil
}

// put keeps a bundle just built (written to a temporary file, synced and
// renamed, so a crash never leaves a partial bundle under its name) and
// returns it ready to serve.
func (c bundleCache) put(commune string, from, to uint64, format uint8, data []byte) (*bundleFile, error) {
	h, sig, err := bundle.ReadHeader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	f := &bundleFile{content: bytes.NewReader(data), size: int64(len(data)), header: h, close: func() error { return nil }}
	if c.dir == "" {
		return f, nil
	}
	if err := writeFileAtomic(c.dir, bundleName(commune, from, to, format), data); err != nil {
		return nil, fmt.Errorf("keeping bundle: %w", err)
	}
	f.etag = etag(h, sig)
	c.prune(commune)
	return f, nil
}

func writeFileAtomic(dir, name string, data []byte) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+name+".*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(dir, name))
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

// prune removes the commune's bundles that lead to versions older than
// its keepVersions latest, and temporary files an interrupted build left
// over an hour ago. Failures only leave files behind.
func (c bundleCache) prune(commune string) {
	entries, err := os.ReadDir(c.dir)
	if err != nil {
		return
	}
	type kept struct {
		name string
		to   uint64
	}
	var mine []kept
	var versions []uint64
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			if info, err := e.Info(); err == nil && c.now().Sub(info.ModTime()) > time.Hour {
				os.Remove(filepath.Join(c.dir, name))
			}
			continue
		}
		cm, _, to, _, ok := parseName(name)
		if !ok || cm != commune {
			continue
		}
		mine = append(mine, kept{name, to})
		versions = append(versions, to)
	}
	slices.Sort(versions)
	versions = slices.Compact(versions)
	if len(versions) <= keepVersions {
		return
	}
	oldest := versions[len(versions)-keepVersions]
	for _, k := range mine {
		if k.to < oldest {
			os.Remove(filepath.Join(c.dir, k.name))
		}
	}
}
