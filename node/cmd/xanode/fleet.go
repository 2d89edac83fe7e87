package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
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
       xanode fleet --pki DIR issue --node ID --commune CODE --city-url URL[,URL…] --out DIR

assign   lets an edge node act for communes (replicated through raft)
issue    issues an edge certificate straight from the fleet CA into an edge
         data folder (development; enrollment by token replaces it)`)
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
