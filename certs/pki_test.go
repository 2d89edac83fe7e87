package certs

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestInitLoadRoundTrip(t *testing.T) {
	now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		opts      InitOptions
		wantNodes []string
		wantHosts []string
	}{
		{"defaults", InitOptions{Now: func() time.Time { return now }}, DefaultCityNodes, nil},
		{"five nodes and hosts", InitOptions{
			CityNodes: []string{"hn-1", "hn-2", "hn-3", "hn-4", "hn-5"},
			Hosts:     []string{"city.example.vn", "10.0.0.7"},
			Now:       func() time.Time { return now },
		}, []string{"hn-1", "hn-2", "hn-3", "hn-4", "hn-5"}, []string{"city.example.vn", "10.0.0.7"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustInit(t, tt.opts)
			l, err := Load(p.Dir)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if !l.Root.Equal(p.Root) || !l.Fleet.Equal(p.Fleet) {
				t.Fatal("root or fleet CA differs after Load")
			}
			lk, lc := l.DataSigner()
			pk, pc := p.DataSigner()
			if !lk.Equal(pk) || !lc.Equal(pc) {
				t.Fatal("data signer differs after Load")
			}
			if got := l.CityNodes(); !slices.Equal(got, tt.wantNodes) {
				t.Fatalf("city nodes %v, want %v", got, tt.wantNodes)
			}
			for _, id := range tt.wantNodes {
				lc, err := l.Node(id)
				if err != nil {
					t.Fatal(err)
				}
				pc, _ := p.Node(id)
				if !slices.EqualFunc(lc.Certificate, pc.Certificate, bytes.Equal) || len(lc.Certificate) != 2 {
					t.Fatalf("node %s: chain differs after Load or lacks the fleet CA", id)
				}
				checkHosts(t, lc.Leaf, tt.wantHosts)
				if got, want := lc.Leaf.NotAfter, now.Add(DefaultCityLifetime); !got.Equal(want) {
					t.Errorf("node %s expires %v, want %v", id, got, want)
				}
			}
			if !bytes.Equal(l.Admin().Certificate[0], p.Admin().Certificate[0]) {
				t.Fatal("admin certificate differs after Load")
			}
			if _, err := l.Node("city-9"); !errors.Is(err, ErrMissing) {
				t.Fatalf("Node(unknown): %v, want ErrMissing", err)
			}
		})
	}
}

func checkHosts(t *testing.T, leaf *x509.Certificate, extra []string) {
	t.Helper()
	for _, h := range append([]string{"127.0.0.1", "::1", "localhost"}, extra...) {
		if err := leaf.VerifyHostname(h); err != nil {
			t.Errorf("host %s: %v", h, err)
		}
	}
}

func TestInitFileModes(t *testing.T) {
	p := mustInit(t, InitOptions{})
	var keys, certs int
	err := filepath.WalkDir(p.Dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		switch filepath.Ext(path) {
		case ".key":
			keys++
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("%s has mode %#o, want 0600", path, fi.Mode().Perm())
			}
		case ".crt":
			certs++
		default:
			t.Errorf("unexpected file %s", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// root, fleet, data signer, admin, monitor, three city nodes.
	if keys != 8 || certs != 8 {
		t.Fatalf("%d keys and %d certificates, want 8 and 8", keys, certs)
	}
}

func TestInitRefusesExisting(t *testing.T) {
	p := mustInit(t, InitOptions{})
	before, _ := os.ReadFile(filepath.Join(p.Dir, RootCertFile))
	if _, err := Init(p.Dir, InitOptions{}); !errors.Is(err, ErrExists) {
		t.Fatalf("second Init: %v, want ErrExists", err)
	}
	after, _ := os.ReadFile(filepath.Join(p.Dir, RootCertFile))
	if !bytes.Equal(before, after) {
		t.Fatal("second Init changed root.crt")
	}

	// A leftover node key alone is enough to refuse.
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, NodesDir), 0o700)
	os.WriteFile(filepath.Join(dir, NodesDir, "city-1.key"), []byte("x"), 0o600)
	if _, err := Init(dir, InitOptions{}); !errors.Is(err, ErrExists) {
		t.Fatalf("Init over a node key: %v, want ErrExists", err)
	}
}

func TestInitOptionsValidate(t *testing.T) {
	tests := []struct {
		name string
		opts InitOptions
		ok   bool
	}{
		{"zero", InitOptions{}, true},
		{"ok", InitOptions{CityNodes: []string{"a", "b_2", "c.3"}, Hosts: []string{"x.vn", "::2"}}, true},
		{"upper case ID", InitOptions{CityNodes: []string{"City-1"}}, false},
		{"path in ID", InitOptions{CityNodes: []string{"../x"}}, false},
		{"empty ID", InitOptions{CityNodes: []string{""}}, false},
		{"repeated ID", InitOptions{CityNodes: []string{"a", "a"}}, false},
		{"reserved ID", InitOptions{CityNodes: []string{AdminID}}, false},
		{"bad host", InitOptions{Hosts: []string{"a b"}}, false},
		{"wildcard host", InitOptions{Hosts: []string{"*.vn"}}, false},
		{"negative lifetime", InitOptions{CityLifetime: -time.Hour}, false},
	}
	for _, tt := range tests {
		err := tt.opts.Validate()
		if tt.ok != (err == nil) || (err != nil && !errors.Is(err, ErrInvalid)) {
			t.Errorf("%s: Validate() = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	other := mustInit(t, InitOptions{})
	tests := []struct {
		name    string
		breakIt func(dir string)
		want    error
		file    string // the error must name it
	}{
		{"no root key is fine", func(dir string) { os.Remove(filepath.Join(dir, RootKeyFile)) }, nil, ""},
		{"missing root", remove(RootCertFile), ErrMissing, RootCertFile},
		{"missing fleet key", remove(FleetKeyFile), ErrMissing, FleetKeyFile},
		{"missing data cert", remove(DataCertFile), ErrMissing, DataCertFile},
		{"missing admin key", remove(AdminKeyFile), ErrMissing, AdminKeyFile},
		{"missing node key", remove(filepath.Join(NodesDir, "city-2.key")), ErrMissing, "city-2.key"},
		{"garbage cert", write(FleetCertFile, []byte("hello"), 0o644), ErrBadFile, FleetCertFile},
		{"key readable by others", func(dir string) { os.Chmod(filepath.Join(dir, DataKeyFile), 0o644) }, ErrBadFile, DataKeyFile},
		{"key of another cert", copyFile(filepath.Join(NodesDir, "city-2.key"), filepath.Join(NodesDir, "city-1.key")), ErrBadFile, "city-1.crt"},
		{"fleet CA of another PKI", copyFrom(other.Dir, FleetCertFile), ErrBadFile, FleetCertFile},
		{"data signer of another PKI", copyFrom(other.Dir, DataCertFile), ErrBadFile, DataCertFile},
		{"node renamed", func(dir string) {
			os.Rename(filepath.Join(dir, NodesDir, "city-3.crt"), filepath.Join(dir, NodesDir, "city-9.crt"))
			os.Rename(filepath.Join(dir, NodesDir, "city-3.key"), filepath.Join(dir, NodesDir, "city-9.key"))
		}, ErrBadFile, "city-9.crt"},
		{"admin in place of a node", func(dir string) {
			copyFile(AdminCertFile, filepath.Join(NodesDir, "city-1.crt"))(dir)
			copyFile(AdminKeyFile, filepath.Join(NodesDir, "city-1.key"))(dir)
		}, ErrBadFile, "city-1.crt"},
		{"fleet cert as data signer", func(dir string) {
			copyFile(FleetCertFile, DataCertFile)(dir)
		}, ErrBadFile, DataCertFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustInit(t, InitOptions{})
			tt.breakIt(p.Dir)
			_, err := Load(p.Dir)
			if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Fatalf("Load: %v, want %v", err, tt.want)
			}
			if err != nil && !strings.Contains(err.Error(), tt.file) {
				t.Fatalf("error %q does not name %s", err, tt.file)
			}
		})
	}
}

func remove(name string) func(string) {
	return func(dir string) { os.Remove(filepath.Join(dir, name)) }
}

func write(name string, data []byte, mode fs.FileMode) func(string) {
	return func(dir string) { os.WriteFile(filepath.Join(dir, name), data, mode) }
}

func copyFile(from, to string) func(string) {
	return func(dir string) {
		b, _ := os.ReadFile(filepath.Join(dir, from))
		os.WriteFile(filepath.Join(dir, to), b, 0o600)
	}
}

func copyFrom(otherDir, name string) func(string) {
	return func(dir string) {
		b, _ := os.ReadFile(filepath.Join(otherDir, name))
		os.WriteFile(filepath.Join(dir, name), b, 0o600)
	}
}

func TestIssueNode(t *testing.T) {
	p := mustInit(t, InitOptions{})
	now := time.Now()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tests := []struct {
		name     string
		id       string
		role     Role
		pub      any
		hosts    []string
		lifetime time.Duration
		want     error
		expires  time.Time
	}{
		{"edge default lifetime", "edge-00367", RoleEdge, key.Public(), nil, 0, nil, now.Add(DefaultNodeLifetime)},
		{"city with hosts", "city-4", RoleCity, key.Public(), []string{"10.1.1.1", "c4.vn"}, time.Hour, nil, now.Add(time.Hour)},
		{"clipped to the fleet CA", "edge-x", RoleEdge, key.Public(), nil, 50 * 365 * 24 * time.Hour, nil, p.Fleet.NotAfter},
		{"hosts on an edge", "edge-1", RoleEdge, key.Public(), []string{"x.vn"}, 0, ErrInvalid, time.Time{}},
		{"unknown role", "n-1", Role("root"), key.Public(), nil, 0, ErrInvalid, time.Time{}},
		{"bad ID", "Edge 1", RoleEdge, key.Public(), nil, 0, ErrInvalid, time.Time{}},
		{"not a key", "edge-1", RoleEdge, "key", nil, 0, ErrInvalid, time.Time{}},
		{"negative lifetime", "edge-1", RoleEdge, key.Public(), nil, -time.Hour, ErrInvalid, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := p.IssueNode(tt.id, tt.role, tt.pub, tt.hosts, tt.lifetime, now)
			if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Fatalf("IssueNode: %v, want %v", err, tt.want)
			}
			if err != nil {
				return
			}
			if !c.NotAfter.Equal(tt.expires.Truncate(time.Second)) {
				t.Errorf("expires %v, want %v", c.NotAfter, tt.expires)
			}
			if err := c.CheckSignatureFrom(p.Fleet); err != nil {
				t.Errorf("not signed by the fleet CA: %v", err)
			}
			for _, h := range tt.hosts {
				if err := c.VerifyHostname(h); err != nil {
					t.Errorf("host %s: %v", h, err)
				}
			}
		})
	}
}

func TestIssueNodeKey(t *testing.T) {
	p := mustInit(t, InitOptions{})
	c := mustEdge(t, p, "edge-1", 0, time.Now())
	if _, ok := c.TLS.PrivateKey.(*ecdsa.PrivateKey); !ok || c.TLS.Leaf.PublicKeyAlgorithm.String() != "ECDSA" {
		t.Fatalf("edge key is %T, want ECDSA P-256", c.TLS.PrivateKey)
	}
	if c.TLS.Leaf.PublicKey.(*ecdsa.PublicKey).Curve != elliptic.P256() {
		t.Fatal("edge key is not P-256")
	}
	// The PEMs are what a node stores; they must load back as a TLS pair
	// that carries the fleet CA.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "e.crt"), c.CertPEM, 0o644)
	os.WriteFile(filepath.Join(dir, "e.key"), c.KeyPEM, 0o600)
	pair, err := p.readNode(dir, "e.crt", "e.key", "edge-1", RoleEdge)
	if err != nil {
		t.Fatal(err)
	}
	if len(pair.Certificate) != 2 || !bytes.Equal(pair.Certificate[1], p.Fleet.Raw) {
		t.Fatal("certificate PEM does not carry the fleet CA")
	}
}

func TestPoolFromPEM(t *testing.T) {
	p := mustInit(t, InitOptions{})
	edge := mustEdge(t, p, "edge-1", 0, time.Now())
	tests := []struct {
		name string
		pem  []byte
		ok   bool
	}{
		{"root", p.RootPEM(), true},
		{"root and fleet", append(p.RootPEM(), certToPEM(p.Fleet)...), true},
		{"empty", nil, false},
		{"garbage", []byte("not pem"), false},
		{"a leaf", edge.CertPEM, false},
		{"a key", edge.KeyPEM, false},
	}
	for _, tt := range tests {
		pool, err := PoolFromPEM(tt.pem)
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrBadFile)) {
			t.Errorf("%s: %v, want ok=%v", tt.name, err, tt.ok)
		}
		if err == nil && !pool.Equal(p.RootPool()) && tt.name == "root" {
			t.Errorf("%s: pool differs from RootPool", tt.name)
		}
	}
	if fp := Fingerprint(p.Root); len(fp) != 64 || fp == Fingerprint(p.Fleet) {
		t.Errorf("fingerprint %q", fp)
	}
}
