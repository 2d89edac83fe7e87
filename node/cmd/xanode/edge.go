package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/xanode/xanode/node"
)

func init() {
	commands["edge"] = command{"run a commune office's edge node", runEdge}
}

func runEdge(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("edge", flag.ContinueOnError)
	dir := fs.String("data", "", "data folder with the node's certificate, identity.json and store")
	city := fs.String("city", "", "city API URLs, comma separated (default: those in identity.json)")
	listen := fs.String("listen", "127.0.0.1:8080", "officer UI address")
	verbose := fs.Bool("v", false, "log at debug level")
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
	e, err := node.StartEdge(ctx, node.EdgeConfig{Dir: *dir, Listen: *listen, City: urls, Log: newLogger(*verbose), Handler: edgeUI})
	if err != nil {
		return err
	}
	fmt.Printf("edge %s serving commune %s at %s/\n", e.ID.Node, e.ID.Commune, e.URL())
	<-ctx.Done()
	return e.Close()
}
