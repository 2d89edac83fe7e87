package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/xanode/xanode/node"
	"github.com/xanode/xanode/node/edge"
)

func init() {
	commands["edge"] = command{"run a commune office's edge node", runEdge}
}

func runEdge(ctx context.Context, args []string) error {
	if len(args) > 1 && args[0] == "officer" && args[1] == "add" {
		return edgeOfficerAdd(args[2:])
	}
	if len(args) > 0 && args[0] == "purge" {
		return edgePurge(args[1:])
	}
	if len(args) > 0 && args[0] == "enroll" {
		return edgeEnroll(ctx, args[1:])
	}
	fs := flag.NewFlagSet("edge", flag.ContinueOnError)
	dir := fs.String("data", "", "data folder with the node's certificate, identity.json and store")
	city := fs.String("city", "", "city API URLs, comma separated (default: those in identity.json)")
	listen := fs.String("listen", "127.0.0.1:8080", "officer UI address")
	cardDir := fs.String("emulate-card", "", "folder of emulated cards (card folders as made by 'xanode card make') to use as the reader")
	verbose := fs.Bool("v", false, "log at debug level")
	pullEvery := fs.Duration("pull-every", 0, "how often to ask the city for a newer subset without being told (0: 5m)")
	fleetEvery := fs.Duration("fleet-every", 0, "how often to check the certificate's age and the commune assignment (0: 10m)")
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
	var cards node.CardSource
	if *cardDir != "" {
		sc, err := node.LoadCards(*cardDir)
		if err != nil {
			return err
		}
		cards = sc
	}
	e, err := node.StartEdge(ctx, node.EdgeConfig{Dir: *dir, Listen: *listen, City: urls, Log: newLogger(*verbose), Handler: node.OfficerUI(cards),
		PullEvery: *pullEvery, FleetEvery: *fleetEvery})
	if err != nil {
		return err
	}
	fmt.Printf("edge %s serving commune %s at %s/\n", e.ID.Node, e.ID.Commune, e.URL())
	<-ctx.Done()
	return e.Close()
}

// edgeOfficerAdd adds or replaces an officer account on a stopped edge. The
// password comes from XANODE_PASSWORD or the first line of standard input,
// never from the command line (it would show in ps and shell history).
func edgeOfficerAdd(args []string) error {
	fs := flag.NewFlagSet("edge officer add", flag.ContinueOnError)
	dir := fs.String("data", "", "the edge's data folder (the edge must not be running)")
	user := fs.String("user", "", "login name")
	name := fs.String("name", "", "full name, e.g. Nguyễn Thị Lan")
	role := fs.String("role", "officer", "officer or supervisor")
	if err := fs.Parse(args); err != nil || *dir == "" || *user == "" || *name == "" {
		fmt.Fprintln(os.Stderr, "usage: xanode edge officer add --data DIR --user U --name NAME [--role officer|supervisor]  (password from XANODE_PASSWORD or stdin)")
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
	st, err := edge.OpenStore(filepath.Join(*dir, "edge.db"))
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.PutOfficer(*user, *name, *role, password); err != nil {
		return err
	}
	fmt.Printf("officer %s (%s) can now log in\n", *user, *role)
	return nil
}

// edgePurge removes the commune subset from a stopped edge (the box is
// decommissioned, or will serve another commune): the personal data goes,
// the outbox, outcomes and audit log stay for what is still to be synced
// and audited.
func edgePurge(args []string) error {
	fs := flag.NewFlagSet("edge purge", flag.ContinueOnError)
	dir := fs.String("data", "", "the edge's data folder (the edge must not be running)")
	if err := fs.Parse(args); err != nil || *dir == "" {
		fmt.Fprintln(os.Stderr, "usage: xanode edge purge --data DIR   (with the edge stopped)")
		return errUsage
	}
	st, err := edge.OpenStore(filepath.Join(*dir, "edge.db"))
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Purge(); err != nil {
		return err
	}
	q, err := st.Queue()
	if err != nil {
		return err
	}
	fmt.Printf("subset purged from %s; %d changes still wait in the outbox\n", *dir, q.Pending)
	return nil
}
