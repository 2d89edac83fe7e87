package client

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/sync/api"
)

// TestAdminErrorsAreTyped: a node without a leader that cannot forward
// answers 503 naming the leader; the admin client tries the next node,
// and when none can take the request the error says so and still holds
// the last answer's status and leader.
func TestAdminErrorsAreTyped(t *testing.T) {
	var asked int
	follower := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked++
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"error":"not the leader","leader":"city-2"}`))
	}))
	defer follower.Close()
	a, err := NewAdmin([]string{follower.URL, follower.URL}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.RemoveNode(context.Background(), "city-3")
	var se *StatusError
	if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrRefused) || !errors.As(err, &se) ||
		se.Code != http.StatusServiceUnavailable || se.Leader != "city-2" || se.Reason != "not the leader" || asked != 2 {
		t.Fatalf("%v (%+v), asked %d times", err, se, asked)
	}
}

// TestAdminCoversTheContract: city IT's client has a method for every
// route the admin certificate may call, but those the edge's methods
// already serve with any certificate (a bundle, the trust list, the fleet
// CA's list).
func TestAdminCoversTheContract(t *testing.T) {
	called := map[string]bool{}
	lists := map[string]bool{api.GetNodes.Pattern(): true, api.GetNodeSeries.Pattern(): true,
		api.GetConflicts.Pattern(): true, api.GetAdminFindings.Pattern(): true}
	mux := http.NewServeMux()
	for _, r := range api.Routes {
		mux.HandleFunc(r.Pattern(), func(w http.ResponseWriter, _ *http.Request) {
			called[r.Pattern()] = true
			if lists[r.Pattern()] {
				w.Write([]byte("[]"))
				return
			}
			w.Write([]byte("{}"))
		})
	}
	city := httptest.NewServer(mux)
	defer city.Close()
	a, err := NewAdmin([]string{city.URL}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for name, call := range map[string]func() error{
		"Status":        func() error { _, err := a.Status(ctx); return err },
		"Metrics":       func() error { _, err := a.Metrics(ctx); return err },
		"Ready":         func() error { return a.Ready(ctx) },
		"Nodes":         func() error { _, err := a.Nodes(ctx); return err },
		"NodeSeries":    func() error { _, err := a.NodeSeries(ctx, "edge-1"); return err },
		"NodeAudit":     func() error { _, err := a.NodeAudit(ctx, "edge-1", api.AuditQuery{}); return err },
		"Token":         func() error { _, err := a.Token(ctx, api.TokenRequest{}); return err },
		"Revoke":        func() error { return a.Revoke(ctx, "edge-1", "x") },
		"Reinstate":     func() error { return a.Reinstate(ctx, "edge-1", "x") },
		"Assign":        func() error { _, err := a.Assign(ctx, "edge-1", nil); return err },
		"Conflicts":     func() error { _, err := a.Conflicts(ctx); return err },
		"Resolve":       func() error { _, err := a.Resolve(ctx, api.Resolution{}); return err },
		"Correct":       func() error { _, err := a.Correct(ctx, api.Correction{}); return err },
		"Officers":      func() error { _, err := a.Officers(ctx, "92101"); return err },
		"SetOfficer":    func() error { _, err := a.SetOfficer(ctx, api.OfficerRequest{}); return err },
		"Quality":       func() error { _, err := a.Quality(ctx); return err },
		"Findings":      func() error { _, err := a.Findings(ctx, api.FindingsQuery{}); return err },
		"ReviewFinding": func() error { _, err := a.ReviewFinding(ctx, api.FindingReview{}); return err },
		"Citizen":       func() error { _, err := a.Citizen(ctx, "092090001234"); return err },
		"Report":        func() error { _, err := a.Report(ctx, "92101", "2026-11"); return err },
		"Document":      func() error { _, err := a.Document(ctx, "code"); return err },
		"Trust":         func() error { _, err := a.Trust(ctx); return err },
		"UploadTrust":   func() error { _, err := a.UploadTrust(ctx, api.TrustUpload{}); return err },
		"RemoveTrust":   func() error { _, err := a.RemoveTrust(ctx, nil); return err },
		"PutCRL":        func() error { _, err := a.PutCRL(ctx, []byte{1}); return err },
		"CRL":           func() error { _, err := a.CRL(ctx); return err },
		"RemoveNode":    func() error { _, err := a.RemoveNode(ctx, "city-3"); return err },
		"Import":        func() error { _, err := a.Import(ctx, strings.NewReader("")); return err },
		"Backup": func() error {
			b, err := a.Backup(ctx)
			if err == nil {
				b.Close()
			}
			return err
		},
	} {
		if err := call(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	edgeServes := map[string]bool{api.GetBundle.Pattern(): true, api.GetTrust.Pattern(): true, api.GetCRL.Pattern(): true}
	for _, r := range api.Routes {
		if (r.Admits(certs.RoleAdmin) || r.Pattern() == api.GetReadyz.Pattern()) && !edgeServes[r.Pattern()] && !called[r.Pattern()] {
			t.Errorf("no method of Admin calls %s", r.Pattern())
		}
	}
}
