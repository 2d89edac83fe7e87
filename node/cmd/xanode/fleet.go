package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/node"
	"github.com/xanode/xanode/sync/api"
)

func init() {
	commands["fleet"] = command{"city IT: assign communes to edge nodes, issue edge certificates", runFleet}
}

func runFleet(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("fleet", flag.ContinueOnError)
	city := fs.String("city", "", "API URL of a city node")
	pkiDir := fs.String("pki", "", "PKI folder (admin certificate; fleet CA for 'issue')")
	fs.Usage = func() {
		fmt.Fprintln(os.Stderr, `usage: xanode fleet --city URL --pki DIR token --commune CODE [--node ID] [--ttl 24h]
       xanode fleet --city URL[,URL…] --pki DIR ui [--listen 127.0.0.1:8090]
       xanode fleet --city URL --pki DIR nodes
       xanode fleet --city URL --pki DIR revoke NODE REASON
       xanode fleet --city URL --pki DIR reinstate NODE REASON
       xanode fleet --city URL --pki DIR assign NODE COMMUNE[,COMMUNE…]
       xanode fleet --city URL --pki DIR report --commune C --month YYYY-MM [--format csv|xlsx] [--out FILE]
       xanode fleet --city URL --pki DIR conflicts
       xanode fleet --city URL --pki DIR resolve ENTRY accept|reject REASON
       xanode fleet --city URL --pki DIR correct ID FIELD=VALUE… REASON
       xanode fleet --city URL --pki DIR findings [--commune C] [--rule R] [--state S]…
       xanode fleet --city URL --pki DIR finding ID confirm|dismiss|reopen|merge [KEEP_ID] REASON
       xanode fleet --city URL --pki DIR officer add --commune CODE --user U --name NAME [--role officer|supervisor]
       xanode fleet --city URL --pki DIR officer disable --commune CODE --user U
       xanode fleet --city URL --pki DIR officers --commune CODE
       xanode fleet --city URL --pki DIR csca add --file F [--source TEXT]
       xanode fleet --city URL --pki DIR csca list
       xanode fleet --city URL --pki DIR csca remove FINGERPRINT…
       xanode fleet --pki DIR issue --node ID --commune CODE --city-url URL[,URL…] --out DIR

token      makes a one-time enrollment token for an edge box (shown once;
           run 'xanode edge enroll --token …' on the box within its lifetime)
ui         serves the fleet dashboard on this machine's loopback and prints
           a one-time login link
nodes      lists the fleet: state, last seen, subset lag, outbox, certificate
revoke     refuses a node at once on every city node (lost or stolen box)
reinstate  lifts a suspension by the not-seen policy
assign     lets an edge node act for communes (replicated through raft); the
           edge purges its old subset and pulls the new one
report     a commune's monthly figures as the city holds them (residents by
           status, changes by outcome, moves, identifications), as CSV or XLSX
conflicts  lists the changes waiting for city IT's decision (needs_review)
resolve    decides one: accept applies it, reject closes it; both are
           changes through raft, kept in the history with the reason
correct    a city correction of a record (the only way to change a
           deceased citizen's record), e.g. status=alive death_date=
findings   lists data-quality findings, problems first, with their evidence
finding    decides on one: confirm (a real problem, to be fixed), dismiss
           (not one), reopen, or merge a duplicate pair keeping KEEP_ID;
           through raft, kept in the finding's history with the reason
officer    adds or replaces a commune's officer account, or disables one;
           the password comes from XANODE_PASSWORD or the first line of
           standard input and is hashed here (the city never sees it); the
           commune's edges get the account in their next bundle, at once
           when online
officers   lists a commune's officer accounts (never their hashes)
csca       the CSCA trust set that chips are checked against, at the city
           and on every edge: add loads an ICAO master list (it must be
           signed under a city's --ml-signer) or a CSCA's CRL (signed by a
           trusted CSCA), detected from the file; list shows every item
           with its age and each CRL's next update; remove takes items out
issue      issues an edge certificate straight from the fleet CA into an
           edge data folder (development; enrollment by token replaces it)`)
	}
	if err := fs.Parse(args); err != nil || fs.NArg() == 0 || *pkiDir == "" {
		fs.Usage()
		return errUsage
	}
	switch fs.Arg(0) {
	case "assign":
		if fs.NArg() != 3 || *city == "" {
			fs.Usage()
			return errUsage
		}
		return fleetAssign(ctx, *city, *pkiDir, fs.Arg(1), strings.Split(fs.Arg(2), ","))
	case "issue":
		return fleetIssue(*pkiDir, fs.Args()[1:])
	case "ui":
		if *city == "" {
			fs.Usage()
			return errUsage
		}
		return fleetUI(ctx, *city, *pkiDir, fs.Args()[1:])
	case "token", "nodes", "revoke", "reinstate":
		if *city == "" {
			fs.Usage()
			return errUsage
		}
		return fleetNodes(ctx, *city, *pkiDir, fs.Args())
	case "officer", "officers":
		if *city == "" {
			fs.Usage()
			return errUsage
		}
		return fleetOfficers(ctx, *city, *pkiDir, fs.Args())
	case "csca":
		if *city == "" {
			fs.Usage()
			return errUsage
		}
		return fleetCSCA(ctx, *city, *pkiDir, fs.Args())
	case "report":
		if *city == "" {
			fs.Usage()
			return errUsage
		}
		return fleetReport(ctx, *city, *pkiDir, fs.Args()[1:])
	case "conflicts", "resolve", "correct":
		if *city == "" {
			fs.Usage()
			return errUsage
		}
		return fleetAdmin(ctx, *city, *pkiDir, fs.Args())
	case "findings", "finding":
		if *city == "" {
			fmt.Fprintln(os.Stderr, findingsUsage)
			return errUsage
		}
		return fleetFindings(ctx, *city, *pkiDir, fs.Args())
	}
	fs.Usage()
	return errUsage
}

func fleetAssign(ctx context.Context, cityURL, pkiDir, nodeID string, communes []string) error {
	city, err := adminCity(pkiDir, cityURL)
	if err != nil {
		return err
	}
	defer city.Close()
	a, err := city.Assign(ctx, nodeID, communes)
	if err != nil {
		return err
	}
	printJSON(a)
	return nil
}

func fleetIssue(pkiDir string, args []string) error {
	fs := flag.NewFlagSet("fleet issue", flag.ContinueOnError)
	id := fs.String("node", "", "edge node ID, e.g. edge-92101")
	commune := fs.String("commune", "", "commune code the edge serves")
	urls := fs.String("city-url", "", "city API URLs the edge syncs with, comma separated")
	out := fs.String("out", "", "the edge's data folder")
	life := fs.Duration("lifetime", 30*24*time.Hour, "certificate lifetime")
	if err := fs.Parse(args); err != nil || *id == "" || *commune == "" || *urls == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "xanode fleet issue: --node, --commune, --city-url and --out are required")
		return errUsage
	}
	pki, err := certs.Load(pkiDir)
	if err != nil {
		return err
	}
	cred, err := pki.IssueNodeKey(*id, certs.RoleEdge, nil, *life, time.Now())
	if err != nil {
		return err
	}
	ident := node.EdgeIdentity{Node: *id, Commune: *commune, City: strings.Split(*urls, ",")}
	if err := node.WriteEdgeCredentials(*out, cred, pki.RootPEM(), ident); err != nil {
		return err
	}
	fmt.Printf("issued %s (commune %s, valid until %s) into %s\n", *id, *commune, cred.TLS.Leaf.NotAfter.Format(time.RFC3339), *out)
	return nil
}

// fleetAdmin runs the conflict queue and correction commands.
func fleetAdmin(ctx context.Context, cityURL, pkiDir string, args []string) error {
	city, err := adminCity(pkiDir, cityURL)
	if err != nil {
		return err
	}
	defer city.Close()
	var out any
	switch {
	case args[0] == "conflicts" && len(args) == 1:
		out, err = city.Conflicts(ctx)
	case args[0] == "resolve" && len(args) == 4 && (args[2] == "accept" || args[2] == "reject"):
		entry, perr := strconv.ParseUint(args[1], 10, 64)
		if perr != nil {
			return fmt.Errorf("entry %q: %w", args[1], perr)
		}
		out, err = city.Resolve(ctx, api.Resolution{Entry: entry, Accept: args[2] == "accept", Reason: args[3]})
	case args[0] == "correct" && len(args) >= 4:
		c := api.Correction{Citizen: args[1], Patch: map[string]string{}, Reason: args[len(args)-1]}
		for _, kv := range args[2 : len(args)-1] {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return fmt.Errorf("%q is not FIELD=VALUE", kv)
			}
			c.Patch[k] = v
		}
		out, err = city.Correct(ctx, c)
	default:
		return errUsage
	}
	if err != nil {
		return err
	}
	pretty, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	fmt.Printf("%s\n", pretty)
	return nil
}

// fleetNodes runs the enrollment and node-state commands.
func fleetNodes(ctx context.Context, cityURL, pkiDir string, args []string) error {
	city, err := adminCity(pkiDir, cityURL)
	if err != nil {
		return err
	}
	defer city.Close()
	base := strings.TrimRight(cityURL, "/")
	switch {
	case args[0] == "token":
		fs := flag.NewFlagSet("fleet token", flag.ContinueOnError)
		commune := fs.String("commune", "", "commune code the box will serve")
		nodeID := fs.String("node", "", "node ID (default edge-COMMUNE; reuse it to re-enroll a re-imaged box)")
		ttl := fs.Duration("ttl", certs.DefaultTokenLifetime, "how long the token may be used")
		if err := fs.Parse(args[1:]); err != nil || *commune == "" {
			fmt.Fprintln(os.Stderr, "usage: xanode fleet --city URL --pki DIR token --commune CODE [--node ID] [--ttl 24h]")
			return errUsage
		}
		tr, err := city.Token(ctx, api.TokenRequest{Commune: *commune, Node: *nodeID, TTL: *ttl})
		if err != nil {
			return err
		}
		fmt.Printf("token for %s (commune %s), usable once until %s:\n\n  %s\n\non the edge box run:\n  xanode edge enroll --data /var/lib/xanode/edge --city %s --token %s\n",
			tr.Node, tr.Commune, tr.Expires.Local().Format(time.RFC3339), tr.Token, base, tr.Token)
		return nil
	case args[0] == "nodes" && len(args) == 1:
		nodes, err := city.Nodes(ctx)
		if err != nil {
			return err
		}
		printNodes(nodes)
		return nil
	case (args[0] == "revoke" || args[0] == "reinstate") && len(args) == 3:
		act := city.Revoke
		if args[0] == "reinstate" {
			act = city.Reinstate
		}
		if err := act(ctx, args[1], args[2]); err != nil {
			return err
		}
		fmt.Printf("%s: %sd (%s)\n", args[1], args[0], args[2])
		return nil
	}
	return errUsage
}

func printNodes(nodes []api.FleetNode) {
	fmt.Printf("%-20s %-10s %-12s %-20s %6s %6s %-20s %s\n", "NODE", "STATE", "COMMUNES", "LAST SEEN", "LAG", "OUTBOX", "CERT EXPIRES", "NOTE")
	ts := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.Local().Format("2006-01-02 15:04:05")
	}
	for _, n := range nodes {
		state, outbox, note := n.State, "-", n.Reason
		if n.Flagged {
			state = "flagged"
		}
		if n.Telemetry != nil {
			outbox = strconv.Itoa(n.Telemetry.Outbox)
		}
		if n.Unlocks > 0 {
			note = strings.TrimSpace(fmt.Sprintf("%s (unlocked by the city %d×, last %s from %s)", note, n.Unlocks, ts(n.LastUnlock), n.LastUnlockFrom))
		}
		fmt.Printf("%-20s %-10s %-12s %-20s %6d %6s %-20s %s\n", n.ID, state, strings.Join(n.Communes, ","), ts(n.LastSeen), n.Lag, outbox, ts(n.CertExpiry), note)
	}
}
