package node

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestAlertRulesNameRealSeries keeps deploy/prometheus/alerts.yml honest:
// every series a rule reads is one the city or the edge registers.
func TestAlertRulesNameRealSeries(t *testing.T) {
	rules, err := os.ReadFile("../deploy/prometheus/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	var sources strings.Builder
	for _, f := range []string{"../sync/cityapi/metrics.go", "edgemetrics.go"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sources.Write(b)
	}
	names := regexp.MustCompile(`xanode_[a-z_]+`).FindAllString(string(rules), -1)
	if len(names) < 10 {
		t.Fatalf("only %d series named in the rules", len(names))
	}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(n, "_bucket"), "_count"), "_sum")
		if !strings.Contains(sources.String(), `"`+base+`"`) {
			t.Errorf("alerts.yml reads %s, which no node exposes", n)
		}
	}
}
