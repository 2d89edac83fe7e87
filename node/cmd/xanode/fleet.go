package main

import (
	"bytes"
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
	"github.com/xanode/xanode/sync/cityapi"
)

func init() {
	commands["fleet"] = command{"city IT: assign communes to edge nodes, issue edge certificates", runFleet}
}

func runFleet(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("fleet", flag.ContinueOnError)
	city := fs.String("city", "", "API URL of a city node")
	pkiDir := fs.String("pki", "", "PKI folder (admin certificate; fleet CA for 'issue')")
	fs.Usage = func() {
		fmt.Fprintln(os.Stderr, `usage: xanode fleet --city URL --pki DIR assign NODE COMMUNE[,COMMUNE…]
       xanode fleet --city URL --pki DIR conflicts
       xanode fleet --city URL --pki DIR resolve ENTRY accept|reject REASON
       xanode fleet --city URL --pki DIR correct ID FIELD=VALUE… REASON
       xanode fleet --pki DIR issue --node ID --commune CODE --city-url URL[,URL…] --out DIR

assign     lets an edge node act for communes (replicated through raft)
conflicts  lists the changes waiting for city IT's decision (needs_review)
resolve    decides one: accept applies it, reject closes it; both are
           changes through raft, kept in the history with the reason
correct    a city correction of a record (the only way to change a
           deceased citizen's record), e.g. status=alive death_date=
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
	case "conflicts", "resolve", "correct":
		if *city == "" {
			fs.Usage()
			return errUsage
		}
		return fleetAdmin(ctx, *city, *pkiDir, fs.Args())
	}
	fs.Usage()
	return errUsage
}

func fleetAssign(ctx context.Context, city, pkiDir, nodeID string, communes []string) error {
	hc, err := adminClient(pkiDir)
	if err != nil {
		return err
	}
	body, _ := json.Marshal(cityapi.Assignment{Node: nodeID, Communes: communes})
	out, err := post(ctx, hc, strings.TrimRight(city, "/")+"/v1/admin/assign", "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	fmt.Printf("%s\n", bytes.TrimSpace(out))
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
func fleetAdmin(ctx context.Context, city, pkiDir string, args []string) error {
	hc, err := adminClient(pkiDir)
	if err != nil {
		return err
	}
	base := strings.TrimRight(city, "/")
	var out []byte
	switch {
	case args[0] == "conflicts" && len(args) == 1:
		out, err = get(ctx, hc, base+"/v1/admin/conflicts")
	case args[0] == "resolve" && len(args) == 4 && (args[2] == "accept" || args[2] == "reject"):
		entry, perr := strconv.ParseUint(args[1], 10, 64)
		if perr != nil {
			return fmt.Errorf("entry %q: %w", args[1], perr)
		}
		body, _ := json.Marshal(cityapi.Resolution{Entry: entry, Accept: args[2] == "accept", Reason: args[3]})
		out, err = post(ctx, hc, base+"/v1/admin/resolve", "application/json", bytes.NewReader(body))
	case args[0] == "correct" && len(args) >= 4:
		c := cityapi.Correction{Citizen: args[1], Patch: map[string]string{}, Reason: args[len(args)-1]}
		for _, kv := range args[2 : len(args)-1] {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return fmt.Errorf("%q is not FIELD=VALUE", kv)
			}
			c.Patch[k] = v
		}
		body, _ := json.Marshal(c)
		out, err = post(ctx, hc, base+"/v1/admin/correct", "application/json", bytes.NewReader(body))
	default:
		return errUsage
	}
	if err != nil {
		return err
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, out, "", "  ") == nil {
		out = pretty.Bytes()
	}
	fmt.Printf("%s\n", bytes.TrimSpace(out))
	return nil
}
