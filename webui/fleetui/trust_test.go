package fleetui

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// trustFleet is a fake Fleet that also offers the city's trust set.
type trustFleet struct {
	*fakeFleet
	set TrustSet
}

func (f trustFleet) Trust(context.Context) (TrustSet, error) { return f.set, nil }

// TestTrustPanel: the dashboard shows the trust set's age and each CRL's
// dates; a CRL past its next update is a problem; a node behind the
// city's trust version shows it.
func TestTrustPanel(t *testing.T) {
	nodes := sampleNodes()
	for i := range nodes {
		nodes[i].CityTrustVersion, nodes[i].TrustVersion = 57, 57
		if nodes[i].ID == "edge-b" {
			nodes[i].TrustVersion = 40
		}
	}
	set := TrustSet{Version: 57, Changed: testNow.Add(-3 * time.Hour), CSCAs: 212, CRLs: []TrustCRL{
		{Issuer: "CN=CSCA Vietnam,C=VN", ThisUpdate: testNow.AddDate(0, 0, -40), NextUpdate: testNow.AddDate(0, 0, -10)},
		{Issuer: "CN=CSCA Laos,C=LA", ThisUpdate: testNow.AddDate(0, 0, -2), NextUpdate: testNow.AddDate(0, 0, 28)},
	}}
	e := newEnv(t, Config{Fleet: trustFleet{&fakeFleet{nodes: func(context.Context) ([]Node, error) { return nodes, nil }}, set}})
	c := e.client()
	c.login()
	p := c.Get("/")
	p.WantStatus(t, http.StatusOK)
	p.MustContain(t,
		"Chứng thư CSCA tin cậy",
		"212 chứng thư CSCA, 2 danh sách thu hồi (CRL), phiên bản 57, nạp lần cuối 3 giờ trước.",
		"CRL của CN=CSCA Vietnam,C=VN đã quá hạn cập nhật 10 ngày",
		`<tr class="bad"><td>CN=CSCA Vietnam,C=VN</td>`,
		"<td>CN=CSCA Laos,C=LA</td>",
		"Danh sách CSCA cũ hơn của thành phố (phiên bản 40 / 57)",
	)
	if got := e.srv.problems(&nodes[slices.IndexFunc(nodes, func(n Node) bool { return n.ID == "edge-b" })], testNow); !slices.Equal(got, []problem{probTrust}) {
		t.Errorf("edge-b behind on trust: problems %v", got)
	}

	// An empty set says what to do; a fleet without a trust source shows
	// no panel.
	empty := newEnv(t, Config{Fleet: trustFleet{&fakeFleet{nodes: func(context.Context) ([]Node, error) { return sampleNodes(), nil }}, TrustSet{}}})
	ec := empty.client()
	ec.login()
	ec.Get("/").MustContain(t, "Chưa nạp danh sách CSCA")
	plain := newEnv(t, Config{})
	pc := plain.client()
	pc.login()
	if strings.Contains(pc.Get("/").Body, "Chứng thư CSCA tin cậy") {
		t.Error("a fleet without a trust source shows a trust panel")
	}
}
