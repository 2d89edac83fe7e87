package node

import (
	"archive/tar"
	"bytes"
	"errors"
	"testing"
	"time"
)

func tarOf(entries ...[2]string) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		addEntry(tw, e[0], []byte(e[1]), time.Unix(0, 0))
	}
	tw.Close()
	return buf.Bytes()
}

// FuzzReadBackup: whatever the bytes, readBackup refuses them with
// ErrBadBackup or returns only known entries, the needed ones present.
func FuzzReadBackup(f *testing.F) {
	man := `{"format":1,"node":"edge-1","commune":"92101"}`
	full := [][2]string{{manifestName, man}, {"edge.db", "db"}, {"keyslots", "{}"}, {"edge.key.sealed", "k"},
		{"edge.crt", "c"}, {"root.crt", "r"}, {"identity.json", "{}"}}
	f.Add(tarOf(full...))
	f.Add(tarOf(append(full, [2]string{"../etc/passwd", "x"})...))
	f.Add(tarOf(full[1:]...))
	f.Add([]byte("not a tar"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, files, err := readBackup(bytes.NewReader(b))
		if err != nil {
			if !errors.Is(err, ErrBadBackup) {
				t.Fatalf("error not ErrBadBackup: %v", err)
			}
			return
		}
		if m.Node == "" || files[edgeDB] == nil {
			t.Fatal("accepted without node or store")
		}
		for name := range files {
			if !restorable[name] {
				t.Fatalf("accepted entry %q", name)
			}
		}
	})
}
