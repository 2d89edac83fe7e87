package node

import (
	"fmt"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
)

// CompactBolt rewrites the bbolt file at path into a new file holding only
// live pages, then renames it over the original (keeping the old one as
// path+".old" until the rename succeeded). It returns the sizes before and
// after. The file must not be open in any process.
func CompactBolt(path string) (before, after int64, err error) {
	st, err := os.Stat(path)
	if err != nil {
		return 0, 0, err
	}
	src, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return 0, 0, fmt.Errorf("open %s (is the node still running?): %w", path, err)
	}
	defer src.Close()
	tmp := path + ".compact"
	os.Remove(tmp)
	dst, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: time.Second, NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return 0, 0, err
	}
	if err := bolt.Compact(dst, src, 64<<20); err != nil {
		dst.Close()
		os.Remove(tmp)
		return 0, 0, err
	}
	if err := dst.Sync(); err != nil {
		dst.Close()
		return 0, 0, err
	}
	if err := dst.Close(); err != nil {
		return 0, 0, err
	}
	src.Close()
	if err := os.Rename(path, path+".old"); err != nil {
		return 0, 0, err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Rename(path+".old", path)
		return 0, 0, err
	}
	os.Remove(path + ".old")
	nst, err := os.Stat(path)
	if err != nil {
		return 0, 0, err
	}
	return st.Size(), nst.Size(), nil
}
