package cityapi

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/sync/api"
	"github.com/xanode/xanode/sync/client"
	"github.com/xanode/xanode/sync/cluster"
)

// TestAdminClient runs city IT's client against a city node: typed
// answers, and refusals that say their status and the city's reason.
func TestAdminClient(t *testing.T) {
	k := newKit(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin, err := client.NewAdmin([]string{k.srv.URL}, certs.ClientTLS(k.pki.Admin(), k.pki.RootPool()))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	status := func(err error) int {
		t.Helper()
		var se *client.StatusError
		if !errors.As(err, &se) {
			t.Fatalf("not a refusal with a status: %v", err)
		}
		return se.Code
	}

	if res, err := admin.Import(ctx, strings.NewReader(population)); err != nil || res.Imported != 2 {
		t.Fatalf("import: %v %+v", err, res)
	}
	if a, err := admin.Assign(ctx, "edge-1", []string{"92101"}); err != nil || a.Node != "edge-1" {
		t.Fatalf("assign: %v %+v", err, a)
	}
	tok, err := admin.Token(ctx, api.TokenRequest{Commune: "92101"})
	if err != nil || tok.Token == "" || tok.Node != "edge-92101" {
		t.Fatalf("token: %v %+v", err, tok)
	}
	if st, err := admin.Status(ctx); err != nil || st.Citizens != 2 || st.Leader != "city-1" {
		t.Fatalf("status: %v %+v", err, st)
	}
	if m, err := admin.Metrics(ctx); err != nil || !strings.Contains(string(m), "xanode_") {
		t.Fatalf("metrics: %v", err)
	}
	if err := admin.Ready(ctx); err != nil {
		t.Fatalf("ready: %v", err)
	}
	if list, err := admin.Officers(ctx, "92101"); err != nil || list.Commune != "92101" {
		t.Fatalf("officers: %v %+v", err, list)
	}
	if v, err := admin.Citizen(ctx, "092090001234"); err != nil || v.Fields["full_name"] != "Nguyễn Văn An" {
		t.Fatalf("citizen: %v %+v", err, v)
	}
	if _, err := admin.CRL(ctx); err != nil {
		t.Fatalf("revocation list: %v", err)
	}
	body, err := admin.Backup(ctx)
	if err != nil {
		t.Fatal(err)
	}
	br, err := cluster.NewBackupReader(body)
	if err != nil {
		t.Fatal(err)
	}
	if err := br.WriteState(io.Discard); err != nil || br.Header.Node != "city-1" {
		t.Fatalf("backup: %v %+v", err, br.Header)
	}
	br.Close()
	body.Close()

	// Refusals: what the city said, with its status.
	_, err = admin.Citizen(ctx, "092090009999")
	if !errors.Is(err, client.ErrRefused) || status(err) != http.StatusNotFound {
		t.Errorf("an unknown citizen: %v", err)
	}
	if err := admin.Revoke(ctx, "edge-92101", ""); status(err) != http.StatusBadRequest || !strings.Contains(err.Error(), "reason is required") {
		t.Errorf("a revocation without a reason: %v", err)
	}
	if _, err := admin.Resolve(ctx, api.Resolution{Entry: 999, Reason: "x"}); status(err) != http.StatusConflict {
		t.Errorf("an unknown conflict: %v", err)
	}
	if _, err := admin.RemoveNode(ctx, "city-1"); status(err) != http.StatusBadRequest {
		t.Errorf("a node removing itself: %v", err)
	}
	cred, err := k.pki.IssueNodeKey("edge-1", certs.RoleEdge, nil, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	asEdge, err := client.NewAdmin([]string{k.srv.URL}, certs.ClientTLS(cred.TLS, k.pki.RootPool()))
	if err != nil {
		t.Fatal(err)
	}
	defer asEdge.Close()
	if _, err := asEdge.Nodes(ctx); status(err) != http.StatusForbidden {
		t.Errorf("an edge's certificate on an admin route: %v", err)
	}
	if _, err := asEdge.Backup(ctx); status(err) != http.StatusForbidden {
		t.Errorf("an edge asking for a backup: %v", err)
	}
}
