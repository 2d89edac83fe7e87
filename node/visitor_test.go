package node

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xanode/xanode/node/registry"
)

// officerClient is the officer's browser against an edge's UI.
type officerClient struct {
	t    *testing.T
	base string
	c    *http.Client
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (o *officerClient) get(path string) string {
	o.t.Helper()
	resp, err := o.c.Get(o.base + path)
	if err != nil {
		o.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		o.t.Fatalf("GET %s: %s\n%s", path, resp.Status, b)
	}
	return string(b)
}

func (o *officerClient) post(page, path string, form url.Values) (int, string) {
	o.t.Helper()
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		o.t.Fatalf("no CSRF token before POST %s", path)
	}
	form.Set("csrf", m[1])
	resp, err := o.c.PostForm(o.base+path, form)
	if err != nil {
		o.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestVisitorThroughTheDemo: the demo's visitor card, read at its office,
// end to end in one process: the chip signs the city's challenge, the
// city releases the record, which the edge does not store; a temporary
// residence applies; a permanent registration moves her into the commune,
// whose next subset holds her.
func TestVisitorThroughTheDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a city node and an edge")
	}
	ctx := context.Background()
	d, err := StartDemo(ctx, DemoConfig{Dir: filepath.Join(t.TempDir(), "demo"), Listen: "127.0.0.1:0", CityNodes: 1, Citizens: 200,
		Raft: RaftTimeouts(150 * time.Millisecond), Log: slog.New(slog.NewTextHandler(io.Discard, nil)), PushEvery: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if d.Visitor == "" || d.VisitorCommune != demoVisitorCommune {
		t.Fatalf("the demo has no visitor card: %q %q (cards %v)", d.Visitor, d.VisitorCommune, d.Cards.IDs())
	}
	jar, _ := cookiejar.New(nil)
	o := &officerClient{t: t, base: d.Edge.URL(), c: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
	code, home := o.post(o.get("/login"), "/login", url.Values{"user": {d.Login.User}, "password": {d.Login.Password}})
	if code != http.StatusOK {
		t.Fatalf("login: %d", code)
	}
	code, tapped := o.post(home, "/tap", url.Values{"key": {d.Visitor}})
	if code != http.StatusOK {
		t.Fatalf("tap: %d\n%s", code, tapped)
	}
	for _, want := range []string{"Công dân nơi khác", "do thành phố cung cấp", "92102 (Phường Cái Khế)",
		"/visitor/" + d.Visitor + "/change/register_temporary", "Đã xác thực chữ ký chip và kiểm tra chống sao chép"} {
		if !strings.Contains(tapped, want) {
			t.Errorf("the tap lacks %q", want)
		}
	}
	if _, err := d.Edge.Store().Citizen(d.Visitor); err == nil {
		t.Fatal("the visitor's record was stored in the local data")
	}

	form := o.get("/visitor/" + d.Visitor + "/change/register_temporary")
	code, _ = o.post(form, "/visitor/"+d.Visitor+"/change/register_temporary", url.Values{
		"temporary_address": {"Số 5 Đường Mậu Thân, Phường Ninh Kiều, TP Cần Thơ"},
		"temporary_until":   {time.Now().AddDate(0, 6, 0).Format("02/01/2006")},
		"temporary_from":    {time.Now().Format("02/01/2006")}, "residence_basis": {"rent"}, "owner_consent": {"agreed"},
		"confirm": {"1"}, "form_token": {"visitor-test-form-0001"}})
	if code != http.StatusOK {
		t.Fatalf("temporary residence: %d", code)
	}
	outcome := func(op registry.Op) *registry.Outcome {
		rs, err := d.Edge.Store().History(d.Visitor, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if r.Change.Op == op {
				return r.Outcome
			}
		}
		return nil
	}
	waitUntil(t, "the temporary residence's outcome", 20*time.Second, func() bool { return outcome(registry.OpRegisterTemporary) != nil })
	if o := outcome(registry.OpRegisterTemporary); o.Result != registry.Applied {
		t.Fatalf("temporary residence: %+v", o)
	}
	if o := outcome(registry.OpIdentify); o == nil || o.Result != registry.Applied {
		t.Errorf("the visitor's identification: %+v", o)
	}

	form = o.get("/visitor/" + d.Visitor + "/change/register_permanent")
	code, _ = o.post(form, "/visitor/"+d.Visitor+"/change/register_permanent", url.Values{
		"permanent_address": {"Số 5 Đường Mậu Thân, Khu vực 2, Phường Ninh Kiều, TP Cần Thơ"}, "commune": {DemoCommune},
		"confirm": {"1"}, "form_token": {"visitor-test-form-0002"}})
	if code != http.StatusOK {
		t.Fatalf("moving in: %d", code)
	}
	waitUntil(t, "the move-in in the commune's subset", 30*time.Second, func() bool {
		c, err := d.Edge.Store().Citizen(d.Visitor)
		return err == nil && c.Get(registry.FieldCommune) == DemoCommune
	})
	if o := outcome(registry.OpRegisterPermanent); o == nil || o.Result != registry.Applied {
		t.Fatalf("moving in: %+v", o)
	}
	// Now a resident: her card is identified against the local record.
	code, tapped = o.post(o.get("/"), "/tap", url.Values{"key": {d.Visitor}})
	if code != http.StatusOK || strings.Contains(tapped, "Công dân nơi khác") || !strings.Contains(tapped, "/citizen/"+d.Visitor) {
		t.Fatalf("her card after the move: %d\n%s", code, tapped)
	}
}
