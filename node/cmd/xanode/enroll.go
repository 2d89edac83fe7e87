package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/xanode/xanode/node"
)

// edgeEnroll gives a new (or re-imaged, or expired) edge box its identity
// from a token city IT made with `xanode fleet token`.
func edgeEnroll(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("edge enroll", flag.ContinueOnError)
	dir := fs.String("data", "", "the edge's data folder (created if missing)")
	city := fs.String("city", "", "API URL of any city node, https://HOST:PORT")
	token := fs.String("token", "", "enrollment token from city IT (or XANODE_TOKEN)")
	uiHosts := fs.String("ui-host", "", "office-LAN names/addresses the officer UI is served at, comma separated (e.g. 192.168.1.10,canbo.xuankhanh.lan): the UI is then served over HTTPS with a certificate from the city (names under .internal, .lan, .local or .home.arpa; private addresses)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *token == "" {
		*token = os.Getenv("XANODE_TOKEN")
	}
	if *dir == "" || *city == "" || *token == "" {
		fmt.Fprintln(os.Stderr, "usage: xanode edge enroll --data DIR --city URL --token TOKEN")
		return errUsage
	}
	var hosts []string
	if *uiHosts != "" {
		hosts = strings.Split(*uiHosts, ",")
	}
	id, err := node.Enroll(ctx, *dir, *city, *token, hosts)
	if err != nil {
		return err
	}
	fmt.Printf("enrolled %s for commune %s; city nodes: %s\nstart it with: xanode edge --data %s\n",
		id.Node, id.Commune, strings.Join(id.City, ", "), *dir)
	if len(hosts) > 0 {
		fmt.Printf("the officer UI will be served over HTTPS for %s (office PCs must trust the city root, root.crt)\n", strings.Join(hosts, ", "))
	}
	return nil
}
