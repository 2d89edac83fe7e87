package shell

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strconv"
)

// Assets are a UI's CSS and JS, addressed with a content hash so that
// browsers may cache them for good and still see every new version.
type Assets struct {
	body map[string][]byte
	hash map[string]string
}

var assetTypes = map[string]string{
	".css": "text/css; charset=utf-8",
	".js":  "text/javascript; charset=utf-8",
}

// LoadAssets reads the named files (.css or .js) from dir in fsys.
func LoadAssets(fsys fs.FS, dir string, names ...string) (*Assets, error) {
	a := &Assets{body: make(map[string][]byte), hash: make(map[string]string)}
	for _, name := range names {
		if assetTypes[path.Ext(name)] == "" {
			return nil, fmt.Errorf("asset %s: neither .css nor .js", name)
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("asset %s: %w", name, err)
		}
		sum := sha256.Sum256(b)
		a.body[name], a.hash[name] = b, hex.EncodeToString(sum[:6])
	}
	return a, nil
}

// URL is the address of the asset name, with its content hash.
func (a *Assets) URL(name string) string { return "/static/" + name + "?v=" + a.hash[name] }

// Serve answers a request for the asset name: cached for good when the
// address carries the current hash, revalidated otherwise. False, with
// nothing written, when there is no such asset.
func (a *Assets) Serve(w http.ResponseWriter, r *http.Request, name string) bool {
	b, ok := a.body[name]
	if !ok {
		return false
	}
	h := w.Header()
	h.Set("Content-Type", assetTypes[path.Ext(name)])
	h.Set("Content-Length", strconv.Itoa(len(b)))
	if r.URL.Query().Get("v") == a.hash[name] {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	w.Write(b)
	return true
}

// Size is the asset's length in bytes (0 for no such asset).
func (a *Assets) Size(name string) int { return len(a.body[name]) }
