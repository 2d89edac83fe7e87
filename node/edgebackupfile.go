package node

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// BackupEdgeFile writes the backup of the edge whose data folder is dir to
// the file out: from the running edge (a consistent read transaction of its
// store, asked from the box itself) or from the files of a stopped one. The
// archive is checked before it takes its name. It says which of the two it
// read.
func BackupEdgeFile(dir, out string) (from string, err error) {
	tmp := out + ".part"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return "", err
	}
	from = "stopped edge"
	if edgeRunning(filepath.Join(dir, "edge.db")) {
		from = "running edge"
		err = backupFromRunning(dir, f)
	} else {
		err = WriteBackup(f, dir, nil)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = CheckBackup(tmp)
	}
	if err == nil {
		err = os.Rename(tmp, out)
	}
	if err != nil {
		os.Remove(tmp)
		return "", err
	}
	return from, nil
}

// edgeRunning reports whether an edge holds the store open.
func edgeRunning(path string) bool {
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 300 * time.Millisecond})
	if err != nil {
		return errors.Is(err, bolt.ErrTimeout)
	}
	db.Close()
	return false
}

// backupFromRunning asks the running edge for its backup at the address
// it recorded (ui.url), from the box itself.
func backupFromRunning(dir string, w io.Writer) error {
	b, err := os.ReadFile(filepath.Join(dir, "ui.url"))
	if err != nil {
		return fmt.Errorf("the edge is running but its address (%s) is unknown: %w", filepath.Join(dir, "ui.url"), err)
	}
	base := strings.TrimSpace(string(b))
	rootPEM, _ := os.ReadFile(filepath.Join(dir, "root.crt"))
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(rootPEM)
	hc := &http.Client{Timeout: 10 * time.Minute, Transport: &http.Transport{TLSClientConfig: &tls.Config{
		// The UI certificate names the office LAN, not loopback: check
		// its chain to the city root, not its name.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("no certificate")
			}
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter})
			return err
		}}}}
	resp, err := hc.Get(base + "/v1/backup")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("the edge refused the backup: %s: %s", resp.Status, strings.TrimSpace(string(msg)))
	}
	_, err = io.Copy(w, resp.Body)
	return err
}
