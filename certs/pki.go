package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"time"
)

// Lifetimes of what Init creates.
const (
	RootLifetime        = 10 * 365 * 24 * time.Hour
	FleetLifetime       = 5 * 365 * 24 * time.Hour
	DefaultCityLifetime = 365 * 24 * time.Hour
)

// DefaultCityNodes are the city node IDs Init certifies when none are given.
var DefaultCityNodes = []string{"city-1", "city-2", "city-3"}

// AdminID and MonitorID are the node IDs of the admin and monitor client
// certificates Init creates.
const (
	AdminID   = "admin"
	MonitorID = "monitor"
)

// PKI is a city's PKI as Init creates it or Load reads it. It holds the
// fleet CA and data-signing keys, never the root key. Its methods are safe
// for concurrent use: nothing in it changes after Init or Load.
type PKI struct {
	Dir   string            // where it was written or read
	Root  *x509.Certificate // city root CA
	Fleet *x509.Certificate // fleet CA, signed by Root

	fleetKey crypto.Signer
	dataKey  ed25519.PrivateKey
	dataCert *x509.Certificate
	nodes    map[string]tls.Certificate // city node ID → certificate
	admin    tls.Certificate
	monitor  tls.Certificate // zero in folders made before it existed
}

// InitOptions are the choices of Init. The zero value gives a development
// PKI with three city nodes on loopback.
type InitOptions struct {
	// CityNodes are the IDs of the city (raft) nodes to certify; empty means
	// DefaultCityNodes.
	CityNodes []string
	// Hosts are extra IP addresses or DNS names for every city node
	// certificate, besides 127.0.0.1, ::1 and localhost; empty adds none.
	Hosts []string
	// CityLifetime is the validity of the city node certificates; zero
	// means DefaultCityLifetime.
	CityLifetime time.Duration
	// AdminLifetime is the validity of the admin certificate; zero means
	// DefaultAdminLifetime (re-issue it with `xanode pki admin`).
	AdminLifetime time.Duration
	// Now gives the issue time; nil means time.Now.
	Now func() time.Time
}

// Validate checks the node IDs (valid, distinct, not AdminID), the hosts and
// the lifetime.
func (o InitOptions) Validate() error {
	seen := map[string]bool{}
	for _, id := range o.CityNodes {
		if err := ValidNodeID(id); err != nil {
			return err
		}
		if id == AdminID || seen[id] {
			return fmt.Errorf("%w: city node ID %q is repeated or reserved", ErrInvalid, id)
		}
		seen[id] = true
	}
	if o.CityLifetime < 0 || o.AdminLifetime < 0 {
		return fmt.Errorf("%w: negative lifetime %v / %v", ErrInvalid, o.CityLifetime, o.AdminLifetime)
	}
	_, _, err := parseHosts(o.Hosts)
	return err
}

// Init creates a new PKI in dir (created with mode 0700 if needed) and
// returns it. It refuses with ErrExists when dir already holds any of the
// PKI's files, and writes every file with O_EXCL, so it never overwrites a
// key.
func Init(dir string, opts InitOptions) (*PKI, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if err := checkNoPKI(dir); err != nil {
		return nil, err
	}
	now := time.Now()
	if opts.Now != nil {
		now = opts.Now()
	}
	p, files, err := generate(opts, now)
	if err != nil {
		return nil, err
	}
	if err := writeFiles(dir, files); err != nil {
		return nil, err
	}
	p.Dir = dir
	return p, nil
}

// generate creates every key and certificate in memory, so that a failure
// leaves nothing half-written.
func generate(opts InitOptions, now time.Time) (*PKI, []file, error) {
	rootKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	rootTmpl := caTemplate("xanode city root CA", now, RootLifetime, 1)
	root, err := sign(rootTmpl, rootTmpl, rootKey.Public(), rootKey)
	if err != nil {
		return nil, nil, err
	}
	fleetKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	fleetTmpl := caTemplate("xanode fleet CA", now, FleetLifetime, 0)
	// The fleet CA's own usages bound what its certificates may do: x509
	// verification refuses a leaf usage its issuer lacks.
	fleetTmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	fleet, err := sign(fleetTmpl, root, fleetKey.Public(), rootKey)
	if err != nil {
		return nil, nil, err
	}
	dataPub, dataKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	dataCert, err := sign(dataSignerTemplate(now), root, dataPub, rootKey)
	if err != nil {
		return nil, nil, err
	}
	p := &PKI{Root: root, Fleet: fleet, fleetKey: fleetKey, dataKey: dataKey, dataCert: dataCert,
		nodes: map[string]tls.Certificate{}}
	files := []file{certFile(RootCertFile, root), certFile(FleetCertFile, fleet), certFile(DataCertFile, dataCert)}
	for _, kf := range []struct {
		name string
		key  crypto.Signer
	}{{RootKeyFile, rootKey}, {FleetKeyFile, fleetKey}, {DataKeyFile, dataKey}} {
		f, err := keyFile(kf.name, kf.key)
		if err != nil {
			return nil, nil, err
		}
		files = append(files, f)
	}
	nodeFiles, err := p.generateNodes(opts, now)
	if err != nil {
		return nil, nil, err
	}
	return p, append(files, nodeFiles...), nil
}

// generateNodes issues the city node and admin certificates.
func (p *PKI) generateNodes(opts InitOptions, now time.Time) ([]file, error) {
	ids := opts.CityNodes
	if len(ids) == 0 {
		ids = DefaultCityNodes
	}
	hosts := append([]string{"127.0.0.1", "::1", "localhost"}, opts.Hosts...)
	lifetime := opts.CityLifetime
	if lifetime == 0 {
		lifetime = DefaultCityLifetime
	}
	var files []file
	for _, id := range ids {
		c, err := p.IssueNodeKey(id, RoleCity, hosts, lifetime, now)
		if err != nil {
			return nil, err
		}
		p.nodes[id] = c.TLS
		files = append(files,
			file{filepath.Join(NodesDir, id+".crt"), c.CertPEM, certMode},
			file{filepath.Join(NodesDir, id+".key"), c.KeyPEM, keyMode})
	}
	adminLifetime := opts.AdminLifetime
	if adminLifetime == 0 {
		adminLifetime = DefaultAdminLifetime
	}
	c, err := p.IssueNodeKey(AdminID, RoleAdmin, nil, adminLifetime, now)
	if err != nil {
		return nil, err
	}
	p.admin = c.TLS
	files = append(files, file{AdminCertFile, c.CertPEM, certMode}, file{AdminKeyFile, c.KeyPEM, keyMode})
	m, err := p.IssueNodeKey(MonitorID, RoleMonitor, nil, lifetime, now)
	if err != nil {
		return nil, err
	}
	p.monitor = m.TLS
	return append(files, file{MonitorCertFile, m.CertPEM, certMode}, file{MonitorKeyFile, m.KeyPEM, keyMode}), nil
}

func caTemplate(name string, now time.Time, lifetime time.Duration, maxPathLen int) *x509.Certificate {
	return &x509.Certificate{
		Subject:               pkix.Name{Organization: []string{"xanode"}, CommonName: name},
		NotBefore:             now.Add(-clockSkew),
		NotAfter:              now.Add(lifetime),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            maxPathLen,
		MaxPathLenZero:        maxPathLen == 0,
	}
}

// NodePool holds the trust anchors for mutual TLS between nodes: the root
// and the fleet CA, so that peers verify whether or not the other side sends
// the fleet CA as an intermediate.
func (p *PKI) NodePool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(p.Root)
	pool.AddCert(p.Fleet)
	return pool
}

// RootPool holds the root alone: what VerifyDataSigner needs, and what an
// edge trusts.
func (p *PKI) RootPool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(p.Root)
	return pool
}

// RootPEM is the edge's bundle of trust anchors: the root certificate.
func (p *PKI) RootPEM() []byte { return certToPEM(p.Root) }

// DataSigner returns the bundle-signing key and its certificate.
func (p *PKI) DataSigner() (ed25519.PrivateKey, *x509.Certificate) { return p.dataKey, p.dataCert }

// Node returns the TLS certificate (with the fleet CA as intermediate) of a
// city node.
func (p *PKI) Node(id string) (tls.Certificate, error) {
	c, ok := p.nodes[id]
	if !ok {
		return tls.Certificate{}, fmt.Errorf("%w: no certificate for city node %q in %s", ErrMissing, id, filepath.Join(p.Dir, NodesDir))
	}
	return c, nil
}

// CityNodes returns the IDs of the city nodes this PKI holds, sorted.
func (p *PKI) CityNodes() []string { return slices.Sorted(maps.Keys(p.nodes)) }

// Admin returns the admin client certificate of the fleet CLI.
func (p *PKI) Admin() tls.Certificate { return p.admin }

// Monitor returns the monitor client certificate of probes and the metrics
// scraper; false when the folder has none.
func (p *PKI) Monitor() (tls.Certificate, bool) { return p.monitor, p.monitor.Leaf != nil }

// RootCert is the city root certificate.
func (p *PKI) RootCert() *x509.Certificate { return p.Root }
