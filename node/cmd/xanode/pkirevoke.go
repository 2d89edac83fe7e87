package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/xanode/xanode/certs"
)

// pkiAdmin re-issues the admin certificate: it lives days, not a year.
func pkiAdmin(args []string) error {
	fs := flag.NewFlagSet("pki admin", flag.ContinueOnError)
	dir := fs.String("pki", "", "the PKI folder (it needs the fleet CA key)")
	lifetime := fs.Duration("lifetime", certs.DefaultAdminLifetime, "certificate lifetime")
	if err := fs.Parse(args); err != nil || *dir == "" || fs.NArg() > 0 || *lifetime <= 0 || *lifetime > 90*24*time.Hour {
		fmt.Fprintln(os.Stderr, "usage: xanode pki admin --pki DIR [--lifetime 168h] (at most 90 days)")
		return errUsage
	}
	p, err := certs.Load(*dir)
	if err != nil {
		return err
	}
	old := p.Admin().Leaf
	c, err := p.RenewAdmin(*lifetime, time.Now())
	if err != nil {
		return err
	}
	pkiLog(*dir, "issued admin serial %s until %s", certs.Serial(c.TLS.Leaf), c.TLS.Leaf.NotAfter.Format(time.RFC3339))
	fmt.Printf("issued %s: serial %s, valid until %s\nthe previous one (serial %s) stays valid until %s unless revoked:\n  xanode pki revoke --pki %s --serial %s --city URL\n",
		filepath.Join(*dir, certs.AdminCertFile), certs.Serial(c.TLS.Leaf), c.TLS.Leaf.NotAfter.Format(time.RFC3339),
		certs.Serial(old), old.NotAfter.Format(time.RFC3339), *dir, certs.Serial(old))
	return nil
}

// pkiMonitor re-issues the monitor certificate of probes and the metrics
// scraper (or makes one in a folder from before it existed).
func pkiMonitor(args []string) error {
	fs := flag.NewFlagSet("pki monitor", flag.ContinueOnError)
	dir := fs.String("pki", "", "the PKI folder (it needs the fleet CA key)")
	lifetime := fs.Duration("lifetime", certs.DefaultCityLifetime, "certificate lifetime")
	if err := fs.Parse(args); err != nil || *dir == "" || fs.NArg() > 0 || *lifetime <= 0 {
		fmt.Fprintln(os.Stderr, "usage: xanode pki monitor --pki DIR [--lifetime 8760h]")
		return errUsage
	}
	p, err := certs.Load(*dir)
	if err != nil {
		return err
	}
	c, err := p.RenewMonitor(*lifetime, time.Now())
	if err != nil {
		return err
	}
	pkiLog(*dir, "issued monitor serial %s until %s", certs.Serial(c.TLS.Leaf), c.TLS.Leaf.NotAfter.Format(time.RFC3339))
	fmt.Printf("issued %s: serial %s, valid until %s; it reads /v1/status and /metrics of city nodes, nothing else\n",
		filepath.Join(*dir, certs.MonitorCertFile), certs.Serial(c.TLS.Leaf), c.TLS.Leaf.NotAfter.Format(time.RFC3339))
	return nil
}

// pkiRevoke adds city-node or admin certificates to the fleet CA's
// revocation list and, with --city, hands it to the city, which refuses
// them at every handshake from then on (API and raft port).
func pkiRevoke(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("pki revoke", flag.ContinueOnError)
	dir := fs.String("pki", "", "the PKI folder (it needs the fleet CA key)")
	var serials []string
	fs.Func("serial", "hex serial of a certificate to revoke (repeatable)", func(s string) error {
		serials = append(serials, strings.ToLower(s))
		return nil
	})
	fs.Func("cert", "a certificate file (PEM) to revoke (repeatable)", func(path string) error {
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		chain, err := certs.ParseChainPEM(b)
		if err != nil || len(chain) == 0 {
			return fmt.Errorf("%s holds no certificate: %v", path, err)
		}
		serials = append(serials, certs.Serial(chain[0]))
		return nil
	})
	city := fs.String("city", "", "API URL of a city node to hand the new list to (else only the PKI folder's fleet.crl changes)")
	reason := fs.String("reason", "", "why, for the log (required)")
	if err := fs.Parse(args); err != nil || *dir == "" || len(serials) == 0 || *reason == "" || fs.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: xanode pki revoke --pki DIR (--serial HEX | --cert FILE)... --reason TEXT [--city URL]")
		return errUsage
	}
	p, err := certs.Load(*dir)
	if err != nil {
		return err
	}
	der, err := p.Revoke(serials, time.Now())
	if err != nil {
		return err
	}
	pkiLog(*dir, "revoked %s: %s", strings.Join(serials, ","), *reason)
	fmt.Printf("%s now revokes %s\n", filepath.Join(*dir, certs.CRLFile), strings.Join(serials, ", "))
	if *city == "" {
		fmt.Println("hand it to the city with: xanode pki crl --pki " + *dir + " --city URL")
		return nil
	}
	return uploadCRL(ctx, *dir, *city, der)
}

// pkiCRL hands the PKI folder's revocation list to the city (again).
func pkiCRL(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("pki crl", flag.ContinueOnError)
	dir := fs.String("pki", "", "the PKI folder holding fleet.crl and an admin certificate")
	city := fs.String("city", "", "API URL of a city node")
	if err := fs.Parse(args); err != nil || *dir == "" || *city == "" || fs.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: xanode pki crl --pki DIR --city URL")
		return errUsage
	}
	der, err := os.ReadFile(filepath.Join(*dir, certs.CRLFile))
	if err != nil {
		return fmt.Errorf("%w (make it with xanode pki revoke)", err)
	}
	return uploadCRL(ctx, *dir, *city, der)
}

func uploadCRL(ctx context.Context, dir, cityURL string, der []byte) error {
	city, err := adminCity(dir, cityURL)
	if err != nil {
		return err
	}
	defer city.Close()
	info, err := city.PutCRL(ctx, der)
	if err != nil {
		return fmt.Errorf("handing the revocation list to %s: %w", cityURL, err)
	}
	fmt.Printf("the city enforces revocation list %s (%d certificates) at every handshake\n", info.Number, len(info.Serials))
	return nil
}

// pkiLogFile is the PKI folder's record of what `xanode pki` issued and
// revoked, for the auditor: one line per act, appended.
const pkiLogFile = "pki.log"

// pkiLog appends a line to the PKI folder's log; a failure to write it is
// said, not fatal (the act itself is done).
func pkiLog(dir, format string, args ...any) {
	line := time.Now().UTC().Format(time.RFC3339) + " " + fmt.Sprintf(format, args...) + "\n"
	f, err := os.OpenFile(filepath.Join(dir, pkiLogFile), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err == nil {
		_, err = f.WriteString(line)
		err = errors.Join(err, f.Close())
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "note: %s could not be appended: %v\n", filepath.Join(dir, pkiLogFile), err)
	}
}
