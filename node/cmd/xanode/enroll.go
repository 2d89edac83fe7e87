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
	id, err := node.Enroll(ctx, *dir, *city, *token)
	if err != nil {
		return err
	}
	fmt.Printf("enrolled %s for commune %s; city nodes: %s\nstart it with: xanode edge --data %s\n",
		id.Node, id.Commune, strings.Join(id.City, ", "), *dir)
	return nil
}
