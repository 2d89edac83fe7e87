package api

import "testing"

func TestExpandAndQueries(t *testing.T) {
	if got := GetNodeAudit.Expand("edge 1/x"); got != "/v1/admin/nodes/edge%201%2Fx/audit" {
		t.Errorf("expanded %q", got)
	}
	if got := GetStatus.Expand(); got != "/v1/status" {
		t.Errorf("expanded %q", got)
	}
	for _, f := range []func(){func() { GetNodeAudit.Expand() }, func() { GetStatus.Expand("x") }} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("a wrong count of values did not panic")
				}
			}()
			f()
		}()
	}
	for q, want := range map[string]string{
		BundleQuery{Since: 5, Format: 3}.Values().Encode():                                       "format=3&since=5",
		BundleQuery{}.Values().Encode():                                                          "since=0",
		AuditQuery{After: 2, Limit: 10}.Values().Encode():                                        "after=2&limit=10",
		FindingsQuery{Commune: "92101", States: []string{"open", "confirmed"}}.Values().Encode(): "commune=92101&state=open&state=confirmed",
		ReportQuery{Commune: "92101", Month: "2026-11"}.Values().Encode():                        "commune=92101&month=2026-11",
	} {
		if q != want {
			t.Errorf("query %q, want %q", q, want)
		}
	}
	if !PostPush.Admits("edge") || PostPush.Admits("admin") || GetHealthz.Admits("admin") {
		t.Error("Admits")
	}
}
