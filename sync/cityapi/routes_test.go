package cityapi

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/sync/api"
	"github.com/xanode/xanode/sync/stream"
)

// TestRoutesMatchContract keeps the server and the contract (sync/api)
// equal: every route of api.Routes is served, under its own pattern;
// nothing is served that the table does not hold; and each route admits
// exactly the certificate roles the table gives it, as seen by a caller
// over mutual TLS.
func TestRoutesMatchContract(t *testing.T) {
	k := newKit(t)
	s := k.srv.Config.Handler.(*Server)

	table := map[string]api.Route{}
	for _, r := range api.Routes {
		if _, dup := table[r.Pattern()]; dup {
			t.Errorf("%s is twice in api.Routes", r.Pattern())
		}
		table[r.Pattern()] = r
	}
	served := map[string]bool{}
	for _, r := range s.served {
		if served[r.Pattern()] {
			t.Errorf("%s is registered twice", r.Pattern())
		}
		served[r.Pattern()] = true
		if want, ok := table[r.Pattern()]; !ok {
			t.Errorf("%s is served but not in api.Routes", r.Pattern())
		} else if !slices.Equal(want.Roles, r.Roles) {
			t.Errorf("%s is served with roles %v, the table says %v", r.Pattern(), r.Roles, want.Roles)
		}
	}
	for p := range table {
		if !served[p] {
			t.Errorf("%s is in api.Routes but not served", p)
		}
	}
	// The websocket's dialer imports nothing of the project: its path is
	// checked here instead.
	if stream.DefaultPath != api.GetStream.Path {
		t.Errorf("the stream dialer asks %s, the city serves %s", stream.DefaultPath, api.GetStream.Path)
	}
	// Nothing reaches the mux but through handle, which records it.
	files, _ := filepath.Glob("*.go")
	direct := regexp.MustCompile(`\.mux\.Handle(Func)?\(`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(direct.FindAll(b, -1)); n > 0 && !(f == "server.go" && n == 1) {
			t.Errorf("%s registers on the mux directly, not through Server.handle and api.Routes", f)
		}
	}

	cityCert, err := k.pki.Node("city-1")
	if err != nil {
		t.Fatal(err)
	}
	monitor, ok := k.pki.Monitor()
	if !ok {
		t.Fatal("the PKI has no monitor certificate")
	}
	edgeCred, err := k.pki.IssueNodeKey("edge-routes", certs.RoleEdge, nil, 3600e9, s.cfg.Now())
	if err != nil {
		t.Fatal(err)
	}
	callers := map[certs.Role]*http.Client{
		certs.RoleEdge:    k.client(t, edgeCred.TLS),
		certs.RoleCity:    k.client(t, cityCert),
		certs.RoleAdmin:   k.client(t, k.pki.Admin()),
		certs.RoleMonitor: k.client(t, monitor),
	}
	anon := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: k.pki.RootPool()}}}
	for _, r := range api.Routes {
		args := make([]string, strings.Count(r.Path, "{"))
		for i := range args {
			args[i] = "92101"
		}
		path := r.Expand(args...)
		req := httptest.NewRequest(r.Method, path, nil)
		if _, pattern := s.mux.Handler(req); pattern != r.Pattern() {
			t.Errorf("%s %s reaches %q, not %q", r.Method, path, pattern, r.Pattern())
		}
		for role, c := range callers {
			code, body := do(t, c, r.Method, k.srv.URL+path, "", nil)
			refused := code == http.StatusForbidden && strings.Contains(string(body), "may not call")
			if r.Roles != nil && refused == r.Admits(role) {
				t.Errorf("%s with a %s certificate: %d %s (the table admits %v)", r.Pattern(), role, code, body, r.Roles)
			}
		}
		code, body := do(t, anon, r.Method, k.srv.URL+path, "", nil)
		needsCert := code == http.StatusUnauthorized && strings.Contains(string(body), "client certificate required")
		if needsCert != (r.Roles != nil) {
			t.Errorf("%s without a certificate: %d %s (the table's roles: %v)", r.Pattern(), code, body, r.Roles)
		}
	}
}
