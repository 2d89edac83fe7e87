package node

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	gosync "sync"
	"time"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/node/edge"
	"github.com/xanode/xanode/node/vault"
	"github.com/xanode/xanode/sync/api"
	"github.com/xanode/xanode/sync/client"
)

// Enroll gives an edge box its identity from an enrollment token: it
// fetches the city root from cityURL and accepts it only if it is the root
// the token names (the box trusts nothing else yet), makes the node's key,
// sends a CSR with the token over TLS verified against that root, and
// stores the certificate, key, root and identity in dir.
//
// A data folder that already holds this node's store keeps it: that is how
// a box whose certificate expired, or whose commune changed, comes back
// with its outbox intact. A folder of another node is refused.
//
// uiHosts (optional) are the office-LAN names and addresses the officer UI
// is served at: the edge then also gets a UI certificate from the fleet CA
// and serves the UI over HTTPS.
func Enroll(ctx context.Context, dir, cityURL, token string, uiHosts []string) (EdgeIdentity, error) {
	var id EdgeIdentity
	tok, err := certs.ParseEnrollToken(token)
	if err != nil {
		return id, err
	}
	if b, err := os.ReadFile(filepath.Join(dir, edgeIDFile)); err == nil {
		var old EdgeIdentity
		if json.Unmarshal(b, &old) == nil && old.Node != "" && old.Node != tok.Node {
			return id, fmt.Errorf("enroll: %s belongs to node %s; the token is for %s (use an empty folder)", dir, old.Node, tok.Node)
		}
	}
	cityURL = strings.TrimRight(cityURL, "/")
	if !strings.HasPrefix(cityURL, "https://") {
		return id, fmt.Errorf("enroll: city URL %q must be https://", cityURL)
	}
	root, err := fetchRoot(ctx, cityURL)
	if err != nil {
		return id, err
	}
	if !tok.MatchesRoot(root) {
		return id, fmt.Errorf("enroll: the city at %s is not the city the token was made for (root fingerprint differs): check the URL", cityURL)
	}
	keyPEM, csrPEM, err := certs.NewNodeKey(tok.Node)
	if err != nil {
		return id, err
	}
	roots := x509.NewCertPool()
	roots.AddCert(root)
	er0 := api.EnrollRequest{Token: token, CSR: string(csrPEM)}
	var uiKey []byte
	if len(uiHosts) > 0 {
		var uiCSR []byte
		if uiKey, uiCSR, err = certs.NewNodeKey(tok.Node); err != nil {
			return id, err
		}
		er0.UICSR, er0.UIHosts = string(uiCSR), uiHosts
	}
	er, err := client.Enroll(ctx, cityURL, roots, er0)
	if err != nil {
		return id, fmt.Errorf("enroll: %w", err)
	}
	if _, err := tls.X509KeyPair([]byte(er.CertPEM), keyPEM); err != nil {
		return id, fmt.Errorf("enroll: the certificate does not fit the key: %w", err)
	}
	urls := []string{cityURL}
	for _, u := range er.City {
		if u != cityURL {
			urls = append(urls, u)
		}
	}
	id = EdgeIdentity{Node: er.Node, Commune: er.Commune, City: urls, NextSeq: er.NextSeq}
	rootPEM := certs.CertPEM(root)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return id, err
	}
	v, err := enrollVault(dir, er.Node)
	if err != nil {
		return id, err
	}
	defer v.Lock()
	sealed, err := v.Seal(edgeKeyFile, keyPEM)
	if err != nil {
		return id, err
	}
	if err := WriteEdgeFiles(dir, []byte(er.CertPEM), sealed, rootPEM, &id); err != nil {
		return id, err
	}
	if !v.Locked() {
		if err := escrowAtEnrollment(ctx, dir, v, urls, roots, []byte(er.CertPEM), keyPEM); err != nil {
			return id, err
		}
	}
	if uiKey != nil {
		if _, err := tls.X509KeyPair([]byte(er.UICert), uiKey); err != nil {
			return id, fmt.Errorf("enroll: the UI certificate does not fit its key: %w", err)
		}
		if err := writeUIFiles(dir, []byte(er.UICert), uiKey); err != nil {
			return id, err
		}
	}
	return id, nil
}

// enrollVault returns the data folder's key slots: those it has, those of
// a folder of an older version once converted, or new ones (unlocked,
// with a city slot waiting to be escrowed) for a new box.
func enrollVault(dir, node string) (*vault.Vault, error) {
	if vault.Exists(dir) {
		return vault.Load(dir)
	}
	for _, f := range []string{edge.KeyFileName, edgeDB, edgeKeyFile} {
		if exists(filepath.Join(dir, f)) {
			return openVault(dir, node, slog.Default())
		}
	}
	v, err := vault.Create(dir, node, nil)
	if err != nil {
		return nil, err
	}
	return v, v.PrepareCity()
}

// escrowAtEnrollment gives the city the new box's slot secret over the
// new certificate, so the box starts unattended from its first start.
// When the city cannot take it now, a transitional key file opens the box
// until it escrows at start.
func escrowAtEnrollment(ctx context.Context, dir string, v *vault.Vault, urls []string, roots *x509.CertPool, certPEM, keyPEM []byte) error {
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return err
	}
	c, err := client.New(urls, certs.ClientTLS(pair, roots))
	if err != nil {
		return err
	}
	defer c.Close()
	if err = escrowCity(ctx, v, c); err == nil {
		return nil
	}
	slog.Warn("the city did not take the box's key slot secret; a transitional key file opens the box until it escrows at start", "err", err)
	key := make([]byte, 32)
	rand.Read(key)
	if err := vault.WriteFile(filepath.Join(dir, edge.KeyFileName), []byte(hex.EncodeToString(key)+"\n")); err != nil {
		return err
	}
	return v.PutFile(key)
}

// Files of the officer UI's HTTPS certificate in an edge's data folder.
const (
	uiCertFile = "ui.crt"
	uiKeyFile  = "ui.key"
)

// writeUIFiles stores the UI certificate and key: both written beside
// their targets, then renamed key first.
func writeUIFiles(dir string, certPEM, keyPEM []byte) error {
	return installFiles(dir, []edgeFile{{uiKeyFile, keyPEM, 0o600}, {uiCertFile, certPEM, 0o644}})
}

// loadUI reads the UI certificate, if the edge has one (nil, nil if not).
func loadUI(dir string) (*tls.Certificate, error) {
	missing := func(name string) bool {
		_, err := os.Stat(filepath.Join(dir, name))
		return errors.Is(err, os.ErrNotExist)
	}
	if missing(uiKeyFile) || missing(uiCertFile) && missing(uiCertFile+".next") {
		return nil, nil
	}
	cert, err := loadPair(dir, uiCertFile, uiKeyFile)
	if err != nil {
		return nil, fmt.Errorf("edge: UI certificate in %s: %w (enroll again with --ui-host, or remove %s and %s to serve plain HTTP)", dir, err, uiCertFile, uiKeyFile)
	}
	return &cert, nil
}

// loadPair loads a certificate and its key, completing an installation
// that a crash interrupted between the key's rename and the
// certificate's (installFiles): then CERT.next fits the new key.
func loadPair(dir, certName, keyName string) (tls.Certificate, error) {
	certPath, keyPath := filepath.Join(dir, certName), filepath.Join(dir, keyName)
	cert, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err == nil {
		return cert, nil
	}
	if _, serr := os.Stat(certPath + ".next"); serr != nil {
		return cert, err
	}
	if rerr := os.Rename(certPath+".next", certPath); rerr != nil {
		return cert, err
	}
	return tls.LoadX509KeyPair(certPath, keyPath)
}

// fetchRoot downloads the city root without trusting the connection: the
// caller checks it against the token's fingerprint before using it.
func fetchRoot(ctx context.Context, cityURL string) (*x509.Certificate, error) {
	b, err := client.EnrollRoot(ctx, cityURL)
	if err != nil {
		return nil, fmt.Errorf("enroll: the city's root: %w", err)
	}
	chain, err := certs.ParseChainPEM(b)
	if err != nil || len(chain) != 1 {
		return nil, fmt.Errorf("enroll: %s sent no single root certificate: %v", cityURL, err)
	}
	return chain[0], nil
}

// WriteEdgeFiles stores an edge's credentials and identity in dir (a nil
// part is left as it is): sealedKey is the node key sealed to the box key
// (vault.Seal). Every file is first written and synced beside its target
// as NAME.next; then the key is renamed over the old key and the
// certificate over the old certificate. A crash between the two renames
// leaves a new key with the old certificate and edge.crt.next beside
// them, which loadSealedPair completes.
func WriteEdgeFiles(dir string, certPEM, sealedKey, rootPEM []byte, id *EdgeIdentity) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	var idJSON []byte
	if id != nil {
		b, _ := json.MarshalIndent(id, "", "  ")
		idJSON = append(b, '\n')
	}
	return installFiles(dir, []edgeFile{
		{edgeSealedKey, sealedKey, 0o600},
		{edgeCertFile, certPEM, 0o644},
		{edgeRootFile, rootPEM, 0o644},
		{edgeIDFile, idJSON, 0o644},
	})
}

// edgeFile is one file of an edge's data folder; nil data leaves it as it is.
type edgeFile struct {
	name string
	data []byte
	mode os.FileMode
}

// installFiles writes every file and syncs it beside its target as
// NAME.next, then renames them over their targets in order (keys before
// their certificates).
func installFiles(dir string, files []edgeFile) error {
	for _, f := range files {
		if f.data != nil {
			if err := writeSynced(filepath.Join(dir, f.name+".next"), f.data, f.mode); err != nil {
				return fmt.Errorf("edge: write %s: %w", f.name, err)
			}
		}
	}
	for _, f := range files {
		if f.data != nil {
			if err := os.Rename(filepath.Join(dir, f.name+".next"), filepath.Join(dir, f.name)); err != nil {
				return fmt.Errorf("edge: install %s: %w", f.name, err)
			}
		}
	}
	return nil
}

func writeSynced(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, mode)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}

// credential is the edge's current certificate, replaced on renewal while
// connections keep asking for it.
type credential struct {
	mu   gosync.RWMutex
	cert tls.Certificate
	ui   *tls.Certificate // the officer UI's server certificate; nil: plain HTTP
}

func (c *credential) getUI() *tls.Certificate {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.ui
}

func (c *credential) setUI(cert *tls.Certificate) {
	c.mu.Lock()
	c.ui = cert
	c.mu.Unlock()
}

// serverTLS serves the officer UI with the UI certificate, asked for at
// each handshake so that a renewal needs no restart.
func (c *credential) serverTLS() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
		return c.getUI(), nil
	}}
}

func (c *credential) get() tls.Certificate {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.cert
}

func (c *credential) set(cert tls.Certificate) {
	c.mu.Lock()
	c.cert = cert
	c.mu.Unlock()
}

// clientTLS is the edge's TLS configuration towards the city: the
// certificate is asked for at each handshake, so a renewal takes effect
// on the next connection.
func (c *credential) clientTLS(roots *x509.CertPool) *tls.Config {
	cfg := certs.ClientTLS(tls.Certificate{}, roots)
	cfg.Certificates = nil
	cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		cert := c.get()
		return &cert, nil
	}
	return cfg
}

// renewAt is when a certificate is renewed: after two thirds of its life
// (DESIGN.md, "Trust model").
func renewAt(leaf *x509.Certificate) time.Time {
	life := leaf.NotAfter.Sub(leaf.NotBefore)
	return leaf.NotBefore.Add(life * 2 / 3)
}
