package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/node"
	"github.com/xanode/xanode/webui/fleetui"
)

// fleetUI serves the fleet dashboard on city IT's workstation: the browser
// talks to this loopback server only; this process holds the admin
// certificate and talks to the city over mutual TLS.
func fleetUI(ctx context.Context, city, pkiDir string, args []string) error {
	fs := flag.NewFlagSet("fleet ui", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:8090", "dashboard address (keep it on loopback: the admin certificate acts for whoever reaches it)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	host, _, err := net.SplitHostPort(*listen)
	if err != nil {
		return fmt.Errorf("--listen %q: %w", *listen, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("--listen %s: the fleet UI serves loopback only (it acts with the admin certificate); use an SSH tunnel to reach it from elsewhere", *listen)
	}
	pki, err := adminPKI(pkiDir)
	if err != nil {
		return err
	}
	urls := strings.Split(city, ",")
	secret := make([]byte, 32)
	rand.Read(secret)
	fleet, err := node.NewFleetAdmin(urls, certs.ClientTLS(pki.Admin(), pki.RootPool()))
	if err != nil {
		return err
	}
	ui, err := fleetui.New(fleetui.Config{Fleet: fleet,
		Secret: secret, CityURL: strings.TrimRight(urls[0], "/"), Log: newLogger(false)})
	if err != nil {
		return err
	}
	defer ui.Close()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: ui, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	fmt.Printf("fleet UI for %s\nopen: %s\n(the link works once; run this command again for a new one)\n", city, ui.LoginURL("http://"+ln.Addr().String()))
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, err)
	}
	return nil
}
