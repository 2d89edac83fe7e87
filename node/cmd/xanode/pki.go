package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/xanode/xanode/certs"
)

func init() {
	commands["pki"] = command{
		summary: "create the city PKI: root and fleet CAs, data-signing key, node and admin certificates",
		run:     runPKI,
	}
}

func runPKI(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "issue-node" {
		return pkiIssueNode(args[1:])
	}
	if len(args) > 0 && args[0] == "export-node" {
		return pkiExportNode(args[1:])
	}
	if len(args) > 0 && args[0] == "data-signer" {
		return pkiDataSigner(args[1:])
	}
	if len(args) > 0 && args[0] == "admin" {
		return pkiAdmin(args[1:])
	}
	if len(args) > 0 && args[0] == "monitor" {
		return pkiMonitor(args[1:])
	}
	if len(args) > 0 && args[0] == "revoke" {
		return pkiRevoke(ctx, args[1:])
	}
	if len(args) > 0 && args[0] == "crl" {
		return pkiCRL(ctx, args[1:])
	}
	if len(args) > 0 && args[0] == "backup-key" {
		return pkiBackupKey(args[1:])
	}
	if len(args) == 0 || args[0] != "init" {
		fmt.Fprintln(os.Stderr, "usage: xanode pki init --out DIR [--city-nodes city-1,city-2,city-3] [--hosts h1,h2]\n"+
			"       xanode pki issue-node --pki DIR --id ID [--hosts h1,h2] [--replace]\n"+
			"       xanode pki export-node --pki DIR --id ID --out DIR [--no-issuer] [--no-signer]\n"+
			"       xanode pki data-signer --root ROOT_DIR --pki DIR\n"+
			"       xanode pki admin --pki DIR [--lifetime 168h]          re-issue the admin certificate (it lives days)\n"+
			"       xanode pki monitor --pki DIR [--lifetime 8760h]       re-issue the monitor certificate (status and metrics only)\n"+
			"       xanode pki revoke --pki DIR (--serial HEX | --cert FILE)... --reason TEXT [--city URL]\n"+
			"       xanode pki crl --pki DIR --city URL                   hand fleet.crl to the city again\n"+
			"       xanode pki backup-key --out DIR                        the key pair city backups are encrypted to")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return flag.ErrHelp
		}
		return errUsage
	}
	fs := flag.NewFlagSet("pki init", flag.ContinueOnError)
	out := fs.String("out", "", "directory to create the PKI in (required; must not hold one already)")
	nodes := fs.String("city-nodes", strings.Join(certs.DefaultCityNodes, ","), "comma-separated IDs of the city (raft) nodes to certify")
	hosts := fs.String("hosts", "", "comma-separated extra IP addresses or DNS names of the city nodes (127.0.0.1, ::1 and localhost are always included)")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if *out == "" || fs.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "xanode pki init: --out DIR is required and no other arguments are taken")
		fs.Usage()
		return errUsage
	}
	p, err := certs.Init(*out, certs.InitOptions{CityNodes: splitList(*nodes), Hosts: splitList(*hosts)})
	if errors.Is(err, certs.ErrExists) {
		return fmt.Errorf("%w\n%s already holds a PKI; it was left untouched. Choose another --out, or move the old PKI away first (its keys cannot be recovered once deleted)", err, *out)
	}
	if err != nil {
		return err
	}
	fmt.Printf("PKI created in %s\n", p.Dir)
	fmt.Printf("  root CA fingerprint (SHA-256): %s\n", certs.Fingerprint(p.Root))
	fmt.Printf("  city nodes: %s\n", strings.Join(p.CityNodes(), ", "))
	fmt.Printf("  admin client certificate: %s, %s (lives %v: re-issue with xanode pki admin)\n", certs.AdminCertFile, certs.AdminKeyFile, certs.DefaultAdminLifetime)
	fmt.Printf("  monitor certificate (probes, metrics scraper): %s, %s\n", certs.MonitorCertFile, certs.MonitorKeyFile)
	fmt.Printf("Move %s offline: a running city needs every file but that one.\n", certs.RootKeyFile)
	return nil
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// pkiIssueNode certifies a new city node (or an existing one at new
// addresses) with the fleet CA of an existing PKI folder.
func pkiIssueNode(args []string) error {
	fs := flag.NewFlagSet("pki issue-node", flag.ContinueOnError)
	dir := fs.String("pki", "", "the PKI folder (made by 'xanode pki init')")
	id := fs.String("id", "", "the city node's ID, e.g. city-4")
	hosts := fs.String("hosts", "", "comma-separated IP addresses or DNS names the node is reached at (127.0.0.1, ::1 and localhost are always included)")
	replace := fs.Bool("replace", false, "issue again for an ID that has a certificate (new addresses, or renewal)")
	lifetime := fs.Duration("lifetime", certs.DefaultCityLifetime, "certificate lifetime")
	if err := fs.Parse(args); err != nil || *dir == "" || *id == "" || fs.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: xanode pki issue-node --pki DIR --id ID [--hosts h1,h2] [--replace]")
		return errUsage
	}
	p, err := certs.Load(*dir)
	if err != nil {
		return err
	}
	if *hosts == "" {
		fmt.Fprintln(os.Stderr, "note: no --hosts: the certificate names 127.0.0.1, ::1 and localhost only; other nodes and edges reach the node only by a name or address in it")
	}
	c, err := p.AddCityNode(*id, splitList(*hosts), *lifetime, *replace, time.Now())
	if err != nil {
		return err
	}
	pkiLog(*dir, "issued city node %s serial %s until %s", *id, certs.Serial(c.TLS.Leaf), c.TLS.Leaf.NotAfter.Format(time.RFC3339))
	fmt.Printf("issued %s/nodes/%s.crt (valid until %s; hosts %s)\nwrite the node's own folder with xanode pki export-node --pki DIR --id ID --out DIR2, copy DIR2 to it and start it with --join\n",
		*dir, *id, c.TLS.Leaf.NotAfter.Format(time.RFC3339), strings.Join(append(c.TLS.Leaf.DNSNames, ipStrings(c)...), ", "))
	return nil
}

func ipStrings(c *certs.Credential) []string {
	var out []string
	for _, ip := range c.TLS.Leaf.IPAddresses {
		out = append(out, ip.String())
	}
	return out
}

// pkiExportNode writes the PKI folder one city node runs with: its own
// key, not the others' nor the admin's.
func pkiExportNode(args []string) error {
	fs := flag.NewFlagSet("pki export-node", flag.ContinueOnError)
	dir := fs.String("pki", "", "the full PKI folder")
	id := fs.String("id", "", "the city node's ID")
	out := fs.String("out", "", "the folder to create for that node")
	noIssuer := fs.Bool("no-issuer", false, "leave out the fleet CA key: the node will not enroll or renew edges")
	noSigner := fs.Bool("no-signer", false, "leave out the data-signing key: the node will not build bundles")
	if err := fs.Parse(args); err != nil || *dir == "" || *id == "" || *out == "" || fs.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: xanode pki export-node --pki DIR --id ID --out DIR [--no-issuer] [--no-signer]")
		return errUsage
	}
	p, err := certs.Load(*dir)
	if err != nil {
		return err
	}
	if err := p.ExportNode(*out, *id, !*noIssuer, !*noSigner); err != nil {
		return err
	}
	fmt.Printf("wrote %s for %s: root and fleet CA certificates, its own certificate and key", *out, *id)
	if !*noIssuer {
		fmt.Print(", the fleet CA key")
	}
	if !*noSigner {
		fmt.Print(", the data-signing key")
	}
	fmt.Println("\n(no admin key, no other node's key)")
	return nil
}

// pkiDataSigner rotates the data-signing key (see
// deploy/runbooks/rotate-data-signing-key.md).
func pkiDataSigner(args []string) error {
	fs := flag.NewFlagSet("pki data-signer", flag.ContinueOnError)
	root := fs.String("root", "", "folder with root.crt and root.key (the offline root)")
	dir := fs.String("pki", "", "the PKI folder whose data-signing key and certificate are replaced (old ones kept as .old)")
	if err := fs.Parse(args); err != nil || *root == "" || *dir == "" || fs.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: xanode pki data-signer --root ROOT_DIR --pki DIR")
		return errUsage
	}
	cert, err := certs.NewDataSigner(*root, *dir, time.Now())
	if err != nil {
		return err
	}
	fmt.Printf("new data-signing certificate in %s: serial %s, valid until %s\n"+
		"copy data-signing.crt and data-signing.key to every city node that builds bundles and restart them one by one;\n"+
		"edges need nothing (same root)\n", *dir, certs.Serial(cert), cert.NotAfter.Format(time.RFC3339))
	return nil
}
