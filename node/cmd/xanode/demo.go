package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/xanode/xanode/node"
	"github.com/xanode/xanode/node/gen"
)

func init() {
	commands["demo"] = command{"run a city cluster, an edge node and sample cards in one process", runDemo}
}

func runDemo(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	dir := fs.String("data", "", "data folder, created or reused (default: a new folder under the system temp dir)")
	listen := fs.String("listen", "127.0.0.1:8080", "officer UI address")
	cities := fs.Int("city-nodes", 1, "city raft nodes: 1 or 3")
	commune := fs.String("commune", node.DemoCommune, "commune to generate and serve")
	citizens := fs.Int("citizens", node.DemoCitizens, "population size generated on first start")
	defects := fs.Int("defects", 0, "known data-quality defects of each rule's kind put into the population on first start (see xanode gen --defects)")
	verbose := fs.Bool("v", false, "log at debug level")
	insecure := fs.Bool("insecure-http", false, "allow a --listen beyond loopback (the demo serves plain HTTP; every page warns)")
	unitMap := fs.String("unit-map", "", "administrative unit map (see xanode edge --unit-map); default: "+demoUnitMap+" when run from the repository")
	login := loginFlags(fs)
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *dir == "" {
		d, err := os.MkdirTemp("", "xanode-demo-")
		if err != nil {
			return err
		}
		*dir = d
	}
	abs, err := filepath.Abs(*dir)
	if err != nil {
		return err
	}
	log := newLogger(*verbose)
	if *unitMap == "" {
		if _, err := os.Stat(demoUnitMap); err == nil {
			*unitMap = demoUnitMap
		} else {
			log.Info("no administrative unit map: old addresses on cards compare as text", "looked_for", demoUnitMap)
		}
	}
	units, err := loadUnitMap(*unitMap, log)
	if err != nil {
		return err
	}
	start := time.Now()
	d, err := node.StartDemo(ctx, node.DemoConfig{
		Dir: abs, Listen: *listen, CityNodes: *cities, Commune: *commune, Citizens: *citizens, Defects: *defects,
		Log: log, InsecureHTTP: *insecure, Login: *login, Units: units,
	})
	if err != nil {
		return err
	}
	fmt.Printf("xanode demo is running (started in %s)\n", time.Since(start).Round(time.Millisecond))
	fmt.Printf("  data folder:   %s\n", abs)
	for _, c := range d.Cities {
		fmt.Printf("  city node:     %s  %s (raft %s)\n", c.Node().ID(), c.URL(), c.Node().RaftAddr())
	}
	fmt.Printf("  edge status:   %s/v1/status\n", d.Edge.URL())
	fmt.Printf("  officer UI:    %s/\n", d.Edge.URL())
	fmt.Printf("  sample login:  %s / %s\n", d.Login.User, d.Login.Password)
	fmt.Printf("  fleet UI:      xanode fleet --city %s --pki %s ui   (city IT's dashboard, data quality included)\n",
		d.Cities[0].URL(), filepath.Join(abs, "pki"))
	var residents []string
	for _, id := range d.Cards.IDs() {
		if id != d.Visitor {
			residents = append(residents, id)
		}
	}
	fmt.Printf("  sample cards:  %s (residents; tapped in turn, or type a card's number)\n", strings.Join(residents, ", "))
	if d.Visitor != "" {
		name, _ := gen.CommuneName(d.VisitorCommune)
		fmt.Printf("  visitor card:  %s (a citizen of %s, %s: type the number, then tap)\n", d.Visitor, name, d.VisitorCommune)
	}
	fmt.Println("Press Ctrl-C to stop.")
	<-ctx.Done()
	fmt.Println("stopping…")
	if err := d.Close(); err != nil {
		return err
	}
	fmt.Println("stopped cleanly")
	return nil
}

// demoUnitMap is the sample unit map, found when the demo runs from the
// repository (go run ./node/cmd/xanode demo).
const demoUnitMap = "testdata/unitmap/can-tho-2025.csv"

func newLogger(verbose bool) *slog.Logger {
	level := slog.LevelInfo
	if verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}
