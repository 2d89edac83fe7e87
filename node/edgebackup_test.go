package node

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
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

// TestRestoredUIKey: a backup seals the officer UI's key; the restored
// box has no UI certificate until the key is put back, so it refuses to
// serve plain HTTP on the office network and says how to put it back;
// once put back (key slots opened, as `xanode edge unseal-ui-key` does),
// it serves HTTPS there.
func TestRestoredUIKey(t *testing.T) {
	dir, officer, password := lockedFolder(t)
	cert := uiCert(t, "127.0.0.1", "canbo.xuankhanh.lan")
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]})
	if err := writeUIFiles(dir, certPEM, keyPEM); err != nil {
		t.Fatal(err)
	}
	var archive bytes.Buffer
	if err := WriteBackup(&archive, dir, nil); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(archive.Bytes(), keyDER) {
		t.Fatal("the archive holds the UI key in the clear")
	}
	box := filepath.Join(t.TempDir(), "new-box")
	if _, _, err := RestoreBackup(&archive, box); err != nil {
		t.Fatal(err)
	}
	if !HasSealedUIKey(box) || exists(filepath.Join(box, uiKeyFile)) {
		t.Fatal("the restored box should hold its UI key sealed only")
	}
	cfg := EdgeConfig{Dir: box, Listen: "0.0.0.0:0", Log: quietLog(), PullEvery: time.Hour, FleetEvery: time.Hour}
	if _, err := StartEdge(context.Background(), cfg); !errors.Is(err, ErrInsecureListen) || !strings.Contains(err.Error(), "unseal-ui-key") {
		t.Fatalf("a restored box with its UI key sealed, on every address: %v", err)
	}
	o, err := OpenOffline(context.Background(), box, Unlock{Officer: officer, Password: password, NoCity: true})
	if err != nil {
		t.Fatal(err)
	}
	back, err := o.RestoreUIKey()
	o.Close()
	if err != nil || !back || HasSealedUIKey(box) {
		t.Fatalf("putting the UI key back: %v, %v", back, err)
	}
	if got, _ := os.ReadFile(filepath.Join(box, uiKeyFile)); !bytes.Equal(got, keyPEM) {
		t.Fatal("the UI key put back differs")
	}
	e, err := StartEdge(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if !e.Secure() || !strings.HasPrefix(e.URL(), "https://") {
		t.Fatalf("the restored box does not serve HTTPS: %s", e.URL())
	}
}

// TestFromThisBox: GET /v1/backup is for the box itself, which reaches
// an edge listening on its office-LAN address by that address.
func TestFromThisBox(t *testing.T) {
	for remote, want := range map[string]bool{
		"127.0.0.1:5000":   true,
		"[::1]:5000":       true,
		"203.0.113.7:5000": false, // TEST-NET-3: never the box's
		"not an address":   false,
	} {
		if got := fromThisBox(remote); got != want {
			t.Errorf("fromThisBox(%q) = %v, want %v", remote, got, want)
		}
	}
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && !fromThisBox(net.JoinHostPort(ipn.IP.String(), "5000")) {
			t.Errorf("the box's own address %s is not the box", ipn.IP)
		}
	}
}
