package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/xanode/xanode/node"
	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/node/vault"
	"github.com/xanode/xanode/reader/cardtool"
)

func init() {
	commands["edge"] = command{"run a commune office's edge node", runEdge}
}

func runEdge(ctx context.Context, args []string) error {
	if len(args) > 1 && args[0] == "officer" && args[1] == "add" {
		return edgeOfficerAdd(ctx, args[2:])
	}
	if len(args) > 0 {
		switch args[0] {
		case "purge":
			return edgePurge(ctx, args[1:])
		case "enroll":
			return edgeEnroll(ctx, args[1:])
		case "rekey":
			return edgeRekey(ctx, args[1:])
		case "backup":
			return edgeBackup(args[1:])
		case "restore":
			return edgeRestore(ctx, args[1:])
		case "unseal-ui-key":
			return edgeUnsealUIKey(ctx, args[1:])
		}
	}
	fs := flag.NewFlagSet("edge", flag.ContinueOnError)
	dir := fs.String("data", "", "data folder with the node's certificate, identity.json and store")
	city := fs.String("city", "", "city API URLs, comma separated (default: those in identity.json)")
	listen := fs.String("listen", "127.0.0.1:8080", "officer UI address")
	cardDir := fs.String("emulate-card", "", "folder of emulated cards (card folders as made by 'xanode card make') to use as the reader")
	readerName := fs.String("reader", "", "PC/SC reader `name` to read ID cards from, as 'xanode card readers' lists it, or any (needs a binary built with -tags pcsc)")
	var cscas stringsFlag
	fs.Var(&cscas, "csca", "CSCA certificate `file` (PEM or DER), folder of them, or ICAO master list, for passive authentication of the cards read with --reader, besides the city's CSCA trust list; repeatable")
	verbose := fs.Bool("v", false, "log at debug level")
	pullEvery := fs.Duration("pull-every", 0, "how often to ask the city for a newer subset without being told (0: 5m)")
	fleetEvery := fs.Duration("fleet-every", 0, "how often to check the certificate's age and the commune assignment (0: 10m)")
	useTPM := fs.Bool("tpm", false, "seal a key slot to the box's TPM 2.0 ("+"/dev/tpmrm0, through systemd-creds) and open it at start, so the box starts unattended offline")
	keepSlots := fs.Bool("keep-slots-on-revoke", false, "when the city revokes the box, lock but keep the key slots (to investigate a box revoked by mistake)")
	unlockEvery := fs.Duration("unlock-every", 0, "longest wait between a locked box's requests to the city for its key slot secret (0: 1m)")
	insecure := fs.Bool("insecure-http", false, "serve the officer UI over plain HTTP on an address beyond loopback, without a UI certificate\n(passwords and records cross the office network in clear; every page warns)")
	uiHosts := fs.String("ui-host", "", "further names or addresses the officer UI is reached by, comma separated; requests naming\nany other Host are refused (besides loopback, the --listen host and the UI certificate's names)")
	unitMap := fs.String("unit-map", "", "CSV `file` from city IT mapping administrative units before the reform of 1 July 2025 to those in force,\nso that an old address on a card is the same place as the record's (format: testdata/unitmap/can-tho-2025.csv)")
	login := loginFlags(fs)
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "xanode edge: --data is required")
		return errUsage
	}
	var urls []string
	if *city != "" {
		urls = strings.Split(*city, ",")
	}
	log := newLogger(*verbose)
	units, err := loadUnitMap(*unitMap, log)
	if err != nil {
		return err
	}
	cards, csca, closeCards, err := edgeCards(*cardDir, *readerName, cscas, log)
	if err != nil {
		return err
	}
	defer closeCards()
	var hosts []string
	if *uiHosts != "" {
		hosts = strings.Split(*uiHosts, ",")
	}
	cfg := node.EdgeConfig{Dir: *dir, Listen: *listen, City: urls, Log: log, Handler: node.OfficerUI(cards),
		PullEvery: *pullEvery, FleetEvery: *fleetEvery, KeepSlotsOnRevoke: *keepSlots, UnlockEvery: *unlockEvery,
		InsecureHTTP: *insecure, UIHosts: hosts, Login: *login, CSCA: csca, Units: units}
	if *useTPM {
		t, err := vault.DetectTPM()
		if err != nil {
			return err
		}
		cfg.TPM = t
	}
	e, err := node.StartEdge(ctx, cfg)
	if err != nil {
		return err
	}
	state := "unlocked"
	if lk := e.Locked(); lk.Kind != "" {
		state = "LOCKED (" + lk.Kind + "): an officer with a key slot logs in, or the city unlocks it"
	}
	fmt.Printf("edge %s serving commune %s at %s/ (%s)\n", e.ID.Node, e.ID.Commune, e.URL(), state)
	<-ctx.Done()
	return e.Close()
}

// loginFlags declares the officer UI's login settings on fs.
func loginFlags(fs *flag.FlagSet) *node.LoginPolicy {
	var p node.LoginPolicy
	fs.StringVar(&p.Help, "help-contact", "", "whom officers should call when the box refuses them (locked out, data frozen), shown as written, e.g.\n\"Chị Hoa (phụ trách) 0292 3820 123; CNTT thành phố 1900 1234\" (default: the commune's supervisor or the city IT hotline)")
	fs.IntVar(&p.UserFailures, "login-failures", 0, "refused logins allowed per user name, from any address, in --login-window (0: 5)")
	fs.IntVar(&p.AddressFailures, "address-failures", 0, "refused logins allowed per client address, for any user names, in --login-window (0: 100)")
	fs.DurationVar(&p.Window, "login-window", 0, "window of the login limits (0: 15m)")
	return &p
}

// loadUnitMap reads --unit-map; "" is none, and identification then
// compares old addresses on cards as text.
func loadUnitMap(path string, log *slog.Logger) (*registry.UnitMap, error) {
	if path == "" {
		return nil, nil
	}
	m, err := node.LoadUnitMap(path)
	if err != nil {
		return nil, err
	}
	log.Info("administrative unit map loaded: old addresses on cards match the units in force", "file", path, "rows", m.Len())
	return m, nil
}

// edgeCards is the officer UI's card reader: emulated cards, a PC/SC
// reader, or none; and the CSCA trust it checks chips with, which the edge
// keeps up to date with the city's trust list. The returned function stops
// the reader, after the edge.
func edgeCards(cardDir, readerName string, cscas []string, log *slog.Logger) (node.CardSource, *node.CSCATrust, func(), error) {
	switch {
	case cardDir != "" && readerName != "":
		fmt.Fprintln(os.Stderr, "xanode edge: give --reader or --emulate-card, not both")
		return nil, nil, nil, errUsage
	case len(cscas) > 0 && readerName == "":
		fmt.Fprintln(os.Stderr, "xanode edge: --csca is for the cards read with --reader")
		return nil, nil, nil, errUsage
	case cardDir != "":
		sc, err := node.LoadCards(cardDir)
		if err != nil {
			return nil, nil, nil, err
		}
		return sc, sc.CSCA(), func() {}, nil
	case readerName == "":
		return nil, nil, func() {}, nil
	}
	store, err := cardtool.LoadTrust(cscas)
	if err != nil {
		return nil, nil, nil, err
	}
	if store == nil {
		log.Warn("no --csca: until the city's CSCA trust list arrives, the cards' signatures are not checked (passive authentication), so reads show as chip-read only")
	} else {
		log.Info("CSCA trust store loaded", "certificates", store.Len())
	}
	csca := node.NewCSCATrust(store)
	r, err := node.OpenPCSCReader(node.ReaderConfig{Reader: readerName, Trust: csca, Log: log})
	if err != nil {
		return nil, nil, nil, err
	}
	return r, csca, func() { r.Close() }, nil
}

// edgeOfficerAdd adds or replaces an officer account on a stopped edge. The
// password comes from XANODE_PASSWORD or the first line of standard input,
// never from the command line (it would show in ps and shell history).
func edgeOfficerAdd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("edge officer add", flag.ContinueOnError)
	dir := fs.String("data", "", "the edge's data folder (the edge must not be running)")
	user := fs.String("user", "", "login name")
	name := fs.String("name", "", "full name, e.g. Nguyễn Thị Lan")
	role := fs.String("role", "officer", "officer or supervisor")
	uf := addUnlockFlags(fs)
	if err := fs.Parse(args); err != nil || *dir == "" || *user == "" || *name == "" {
		fmt.Fprintln(os.Stderr, "usage: xanode edge officer add --data DIR --user U --name NAME [--role officer|supervisor] [--officer USER | --tpm]  (password from XANODE_PASSWORD or stdin)")
		return errUsage
	}
	password := os.Getenv("XANODE_PASSWORD")
	if password == "" {
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && line == "" {
			return fmt.Errorf("no password on standard input: %w", err)
		}
		password = strings.TrimRight(line, "\r\n")
	}
	o, _, err := uf.open(ctx, *dir, false)
	if err != nil {
		return err
	}
	defer o.Close()
	st, err := o.Store()
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.PutOfficer(*user, *name, *role, password); err != nil {
		return err
	}
	fmt.Printf("officer %s (%s) can now log in on this box (the first login makes the officer's key slot); as a local (break-glass) account its changes go to review at the city unless city IT makes the same account there (xanode fleet officer add)\n", *user, *role)
	return nil
}

// edgePurge removes the commune subset from a stopped edge (the box is
// decommissioned, or will serve another commune) and rewrites the store
// under a new key: the personal data goes, and its old pages cannot be
// decrypted with any key the box keeps; the outbox, outcomes and audit log
// stay for what is still to be synced and audited.
func edgePurge(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("edge purge", flag.ContinueOnError)
	dir := fs.String("data", "", "the edge's data folder (the edge must not be running)")
	uf := addUnlockFlags(fs)
	if err := fs.Parse(args); err != nil || *dir == "" {
		fmt.Fprintln(os.Stderr, "usage: xanode edge purge --data DIR [--officer USER | --tpm]   (with the edge stopped)")
		return errUsage
	}
	o, _, err := uf.open(ctx, *dir, true)
	if err != nil {
		return err
	}
	defer o.Close()
	pending, err := o.PurgeOffline()
	if err != nil {
		return err
	}
	fmt.Printf("subset purged from %s and the store rewritten under a new key; %d changes still wait in the outbox\n", *dir, pending)
	return nil
}
