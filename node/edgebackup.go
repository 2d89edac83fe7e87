package node

import (
	"archive/tar"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/xanode/xanode/node/edge"
	"github.com/xanode/xanode/node/vault"
)

// An edge backup is a tar archive of what a new box needs to take over:
// the store as a consistent copy (sealed as on disk), the key slots, the
// sealed node key, the certificates, the city root and identity.json.
// Never a plain key: the officer UI's key (plain on the box, because the
// login page must be served over TLS while the box is locked) is sealed
// to the box key in the archive and put back when the restored box first
// unlocks. A backup restores only with what opens a key slot: an
// officer's password, or the city (while the box is not revoked).

// backupManifest is the archive's first entry.
type backupManifest struct {
	Format  int       `json:"format"`
	Node    string    `json:"node"`
	Commune string    `json:"commune"`
	Created time.Time `json:"created"`
}

const (
	backupFormat   = 1
	manifestName   = "xanode-edge-backup.json"
	uiSealedKey    = "ui.key.sealed"
	maxBackupEntry = 4 << 30 // the store; every other entry is small
	maxSmallEntry  = 1 << 20
)

// backupFiles are the folder's files an archive holds beside the store
// (ui.key is sealed first; store.key and plain keys are never included).
var backupFiles = []string{vault.FileName, edgeSealedKey, edgeCertFile, edgeRootFile, edgeIDFile, uiCertFile}

// restorable is every name an archive may hold.
var restorable = map[string]bool{manifestName: true, edgeDB: true, uiSealedKey: true}

func init() {
	for _, f := range backupFiles {
		restorable[f] = true
	}
}

// WriteBackup writes dir's backup to w. store is the running edge's open
// store (copied in one read transaction), or nil when the edge is stopped
// (the file is copied as it is).
func WriteBackup(w io.Writer, dir string, store *edge.Store) error {
	v, err := vault.Load(dir)
	if err != nil {
		return fmt.Errorf("edge backup: key slots: %w", err)
	}
	if !v.Durable() {
		return errors.New("edge backup: the box has no durable key slot yet (the city does not hold its secret and no officer has logged in): " +
			"a backup could not be opened; let it reach the city or log in once, then back up")
	}
	var id EdgeIdentity
	if b, err := os.ReadFile(filepath.Join(dir, edgeIDFile)); err == nil {
		json.Unmarshal(b, &id)
	}
	tw := tar.NewWriter(w)
	now := time.Now().UTC()
	man, _ := json.Marshal(backupManifest{Format: backupFormat, Node: id.Node, Commune: id.Commune, Created: now})
	if err := addEntry(tw, manifestName, man, now); err != nil {
		return err
	}
	for _, name := range backupFiles {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if errors.Is(err, os.ErrNotExist) && name == uiCertFile {
			continue
		}
		if err != nil {
			return fmt.Errorf("edge backup: %w", err)
		}
		if err := addEntry(tw, name, b, now); err != nil {
			return err
		}
	}
	if plain, err := os.ReadFile(filepath.Join(dir, uiKeyFile)); err == nil {
		sealed, err := v.Seal(uiKeyFile, plain)
		clear(plain)
		if err != nil {
			return err
		}
		if err := addEntry(tw, uiSealedKey, sealed, now); err != nil {
			return err
		}
	}
	if err := addStore(tw, dir, store, now); err != nil {
		return fmt.Errorf("edge backup: store: %w", err)
	}
	return tw.Close()
}

// addStore streams the store into the archive: from the running edge's
// read transaction, or from the stopped edge's file.
func addStore(tw *tar.Writer, dir string, store *edge.Store, at time.Time) error {
	hdr := func(size int64) error {
		return tw.WriteHeader(&tar.Header{Name: edgeDB, Mode: 0o600, Size: size, ModTime: at, Typeflag: tar.TypeReg})
	}
	if store != nil {
		return store.Copy(func(size int64, write func(io.Writer) error) error {
			if err := hdr(size); err != nil {
				return err
			}
			return write(tw)
		})
	}
	f, err := os.Open(filepath.Join(dir, edgeDB))
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if err := hdr(st.Size()); err != nil {
		return err
	}
	_, err = io.CopyN(tw, f, st.Size())
	return err
}

func addEntry(tw *tar.Writer, name string, b []byte, at time.Time) error {
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: int64(len(b)), ModTime: at, Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	_, err := tw.Write(b)
	return err
}

// ErrBadBackup wraps every refusal of an archive's contents.
var ErrBadBackup = errors.New("edge restore: not an edge backup")

// readBackup reads and checks an archive: known names only, each once,
// sizes bounded, the manifest first and the files a box needs present.
func readBackup(r io.Reader) (backupManifest, map[string][]byte, error) {
	var man backupManifest
	files := map[string][]byte{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return man, nil, fmt.Errorf("%w: %v", ErrBadBackup, err)
		}
		limit := int64(maxSmallEntry)
		if h.Name == edgeDB {
			limit = maxBackupEntry
		}
		switch {
		case h.Typeflag != tar.TypeReg || !restorable[h.Name]:
			return man, nil, fmt.Errorf("%w: unexpected entry %q", ErrBadBackup, h.Name)
		case files[h.Name] != nil:
			return man, nil, fmt.Errorf("%w: entry %q twice", ErrBadBackup, h.Name)
		case h.Size < 0 || h.Size > limit:
			return man, nil, fmt.Errorf("%w: entry %q of %d bytes", ErrBadBackup, h.Name, h.Size)
		case len(files) == 0 && h.Name != manifestName:
			return man, nil, fmt.Errorf("%w: no manifest first", ErrBadBackup)
		}
		b, err := io.ReadAll(io.LimitReader(tr, limit))
		if err != nil {
			return man, nil, fmt.Errorf("%w: %q: %v", ErrBadBackup, h.Name, err)
		}
		files[h.Name] = b
	}
	if err := json.Unmarshal(files[manifestName], &man); err != nil || man.Format != backupFormat || man.Node == "" {
		return man, nil, fmt.Errorf("%w: manifest: %v", ErrBadBackup, err)
	}
	for _, need := range []string{edgeDB, vault.FileName, edgeSealedKey, edgeCertFile, edgeRootFile, edgeIDFile} {
		if files[need] == nil {
			return man, nil, fmt.Errorf("%w: %s missing", ErrBadBackup, need)
		}
	}
	return man, files, nil
}

// RestoreBackup puts an archive's files into dir, which must hold no edge
// yet. The box then starts locked, and opens with an officer's password
// or through the city.
func RestoreBackup(r io.Reader, dir string) (node, commune string, err error) {
	man, files, err := readBackup(r)
	if err != nil {
		return "", "", err
	}
	for _, f := range []string{edgeDB, vault.FileName, edgeIDFile} {
		if exists(filepath.Join(dir, f)) {
			return "", "", fmt.Errorf("edge restore: %s already holds %s: restore into an empty folder", dir, f)
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", err
	}
	for name, b := range files {
		if name == manifestName {
			continue
		}
		if err := vault.WriteFile(filepath.Join(dir, name), b); err != nil {
			return "", "", fmt.Errorf("edge restore: %w", err)
		}
	}
	return man.Node, man.Commune, nil
}

// restoreUIKey puts back the officer UI's key a restore left sealed, once
// the box is unlocked; the UI serves HTTPS with it from the next start.
func (n *Edge) restoreUIKey() {
	back, err := putBackUIKey(n.dir, n.vault)
	switch {
	case err != nil:
		n.log.Error("putting back the officer UI's key from the backup", "err", err)
	case back:
		n.log.Warn("the officer UI's key from the backup is back in place: restart the edge to serve the UI over HTTPS")
	}
}

// RestoreUIKey puts back the officer UI's key a restore left sealed (see
// putBackUIKey), so that the box serves HTTPS from its first start.
func (o *Opened) RestoreUIKey() (bool, error) { return putBackUIKey(o.Dir, o.Vault) }

// HasSealedUIKey reports whether dir holds the officer UI's key sealed
// by a restore, not yet put back.
func HasSealedUIKey(dir string) bool { return exists(filepath.Join(dir, uiSealedKey)) }

// putBackUIKey opens ui.key.sealed with the open vault v and installs it
// as ui.key; false when there is none.
func putBackUIKey(dir string, v *vault.Vault) (bool, error) {
	path := filepath.Join(dir, uiSealedKey)
	sealed, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	plain, err := v.Open(uiKeyFile, sealed)
	if err != nil {
		return false, err
	}
	err = installFiles(dir, []edgeFile{{uiKeyFile, plain, 0o600}})
	clear(plain)
	if err == nil {
		err = os.Remove(path)
	}
	return err == nil, err
}

// sealedUIHint adds to a refusal of plain HTTP beyond loopback what to do
// on a box restored from a backup: its UI key is still sealed, so it has
// no UI certificate to serve HTTPS with until the key is put back.
func sealedUIHint(dir string, err error) error {
	if !errors.Is(err, ErrInsecureListen) || !exists(filepath.Join(dir, uiSealedKey)) {
		return err
	}
	return fmt.Errorf("%w. This box was restored from a backup and the officer UI's key (%s) is still sealed: "+
		"put it back with `xanode edge unseal-ui-key --data %s` (through the city, or --officer USER, or --tpm), "+
		"or start the edge once on 127.0.0.1 and let it unlock; then start it on the office address", err, uiSealedKey, dir)
}

// fromThisBox reports whether a connection's remote address is the box
// itself: loopback, or one of the box's own addresses (an edge listening
// on its office-LAN address, as with --ui-host, is reached from the box by
// that address; a TCP peer cannot complete a handshake from an address
// the box holds).
func fromThisBox(remote string) bool {
	host, _, err := net.SplitHostPort(remote)
	ip := net.ParseIP(host)
	if err != nil || ip == nil {
		return false
	}
	if ip.IsLoopback() {
		return true
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && ipn.IP.Equal(ip) {
			return true
		}
	}
	return false
}

// backupHandler serves GET /v1/backup to the box itself only: the
// archive holds nothing in the clear, but offline guessing of officer
// passwords against its key slots is no business of the office LAN.
func (n *Edge) backupHandler(w http.ResponseWriter, r *http.Request) {
	if !fromThisBox(r.RemoteAddr) {
		http.Error(w, "backups are served to this box itself only (run xanode edge backup on the box)", http.StatusForbidden)
		return
	}
	n.openMu.Lock() // no unlock, lock or rekey while the files are read
	defer n.openMu.Unlock()
	if !vault.Exists(n.dir) {
		http.Error(w, "this box has no key slots (revoked): nothing to back up", http.StatusConflict)
		return
	}
	w.Header().Set("Content-Type", "application/x-tar")
	if err := WriteBackup(w, n.dir, n.Store()); err != nil {
		// Mid-stream: the archive is cut short, which `xanode edge
		// backup` detects when it checks what it received.
		n.log.Error("edge backup failed", "err", err)
	}
}

// CheckBackup reads an archive through and checks it is a whole edge
// backup (a backup cut short mid-stream is refused).
func CheckBackup(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, _, err = readBackup(f)
	return err
}
