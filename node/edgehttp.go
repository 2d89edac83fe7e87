package node

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
)

// The edge's listener carries officers' passwords and citizens' records.
// Three rules keep them on the box and the office PC that asked:
//
//   - Plain HTTP only on loopback. A --listen that the office network can
//     reach needs the UI certificate (enroll with --ui-host); without it
//     the edge refuses to start unless told --insecure-http, and then
//     every page says so.
//   - Under TLS, browsers are told to use nothing else
//     (Strict-Transport-Security).
//   - A request must name the edge by one of its own names in Host. A web
//     page elsewhere can point a DNS name of its own at the box's address
//     (DNS rebinding) and so read what the box answers without a login
//     (/v1/status, /metrics); the box refuses every Host it was not told.

// ErrInsecureListen refuses plain HTTP on an address beyond loopback.
var ErrInsecureListen = errors.New("edge: the officer UI would be served unencrypted on the office network")

// hstsValue keeps browsers on HTTPS for a year once they saw it.
const hstsValue = "max-age=31536000"

// checkListen refuses plain HTTP on a listen address the office network
// can reach, unless insecure.
func checkListen(listen string, tlsOn, insecure bool) error {
	if tlsOn || insecure || loopbackListen(listen) {
		return nil
	}
	return fmt.Errorf("%w: --listen %s is reachable from other machines and this edge has no UI certificate, so passwords "+
		"and records would cross the network in clear. Enroll it with --ui-host NAME,ADDRESS (xanode edge enroll) to serve HTTPS, "+
		"listen on 127.0.0.1, or accept the risk with --insecure-http (every page then warns the officers)", ErrInsecureListen, listen)
}

// loopbackListen reports whether listen (host:port) accepts connections
// from this machine only.
func loopbackListen(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// hostNames is the set of names a request's Host may give: loopback
// names, the listen address's host (or, for an unspecified address, the
// box's own addresses and host name), and the configured extra names.
// The UI certificate's names are added per request (hostGuard), since a
// renewal may change them.
func hostNames(listen string, extra []string) map[string]bool {
	names := map[string]bool{"localhost": true, "127.0.0.1": true, "::1": true}
	add := func(h string) {
		if h = strings.ToLower(strings.Trim(strings.TrimSpace(h), "[]")); h != "" {
			names[h] = true
		}
	}
	for _, h := range extra {
		add(h)
	}
	host, _, _ := net.SplitHostPort(listen)
	if ip := net.ParseIP(host); host != "" && (ip == nil || !ip.IsUnspecified()) {
		add(host)
		return names
	}
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok {
				add(ipn.IP.String())
			}
		}
	}
	if h, err := os.Hostname(); err == nil {
		add(h)
	}
	return names
}

// hostGuard answers 421 to a request whose Host is not one of the edge's
// names, and sets Strict-Transport-Security under TLS.
type hostGuard struct {
	next  http.Handler
	names map[string]bool
	ui    func() *tls.Certificate // current UI certificate; nil: plain HTTP
}

func (g *hostGuard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	cert := g.ui()
	if !g.allowed(r.Host, cert) {
		http.Error(w, "unknown host name: use the address of this edge box", http.StatusMisdirectedRequest)
		return
	}
	if cert != nil {
		w.Header().Set("Strict-Transport-Security", hstsValue)
	}
	g.next.ServeHTTP(w, r)
}

func (g *hostGuard) allowed(hostport string, cert *tls.Certificate) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
	if host == "" {
		return false
	}
	if g.names[host] {
		return true
	}
	if cert == nil || cert.Leaf == nil {
		return false
	}
	for _, n := range cert.Leaf.DNSNames {
		if strings.EqualFold(n, host) {
			return true
		}
	}
	ip := net.ParseIP(host)
	for _, a := range cert.Leaf.IPAddresses {
		if ip != nil && a.Equal(ip) {
			return true
		}
	}
	return false
}
