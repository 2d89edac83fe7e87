package node

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/raft"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/node/gen"
	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/reader/emulator"
	"github.com/xanode/xanode/reader/trust"
	"github.com/xanode/xanode/sync/fsm"
)

// DemoConfig configures `xanode demo`.
type DemoConfig struct {
	Dir       string // data folder; created or reused
	Listen    string // officer UI address
	CityNodes int    // 1 or 3
	Commune   string // generated commune (default 92101, Phường Ninh Kiều)
	Citizens  int    // population size on first start (default 2000)
	// Defects puts this many known data-quality defects of each rule's
	// kind into the population on first start (gen.GenerateWithDefects),
	// so that the fleet dashboard's quality page has findings to show;
	// 0: none.
	Defects int
	Raft    *raft.Config
	Out     io.Writer // where the URL and login are printed
	Log     *slog.Logger
	// PushEvery and PullEvery tune the edge's sync loops (0: defaults).
	PushEvery, PullEvery time.Duration
	// InsecureHTTP and Login: see EdgeConfig.
	InsecureHTTP bool
	Login        LoginPolicy
	// Units: see EdgeConfig.Units.
	Units *registry.UnitMap
}

// Demo is a running demo: city nodes, one edge, sample cards.
type Demo struct {
	Cfg    DemoConfig
	PKI    *certs.PKI
	Cities []*City
	Edge   *Edge
	Login  DemoLogin
	Cards  *SampleCards // the emulated reader with the sample cards
	// Visitor is the personal ID on the sample card of a citizen of
	// another commune (VisitorCommune), whose chip signs the city's
	// challenge: the visitor's flow (DESIGN.md, "Authority").
	Visitor, VisitorCommune string
}

// DemoLogin is the officer account the demo creates.
type DemoLogin struct {
	User     string `json:"user"`
	Password string `json:"password"`
}

// demoPorts keeps the loopback ports of a demo's city nodes, so that a
// reused data folder finds its cluster where raft remembers it.
type demoPorts struct {
	Raft []string `json:"raft"`
	API  []string `json:"api"`
}

// Default demo settings.
const (
	DemoCommune  = "92101"
	DemoCitizens = 2000
	demoOfficer  = "canbo01"
	// The demo's second commune, of which the city holds a few citizens:
	// one of them carries a sample card, to serve as a visitor.
	demoVisitorCommune = "92102"
	demoVisitors       = 60
)

// StartDemo brings up the whole system in one process.
func StartDemo(ctx context.Context, cfg DemoConfig) (*Demo, error) {
	if cfg.CityNodes != 1 && cfg.CityNodes != 3 {
		return nil, fmt.Errorf("demo: --city-nodes must be 1 or 3, not %d", cfg.CityNodes)
	}
	if err := checkListen(cfg.Listen, false, cfg.InsecureHTTP); err != nil {
		return nil, fmt.Errorf("demo: %w", err) // the demo serves plain HTTP
	}
	if cfg.Commune == "" {
		cfg.Commune = DemoCommune
	}
	if cfg.Citizens == 0 {
		cfg.Citizens = DemoCitizens
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Out == nil {
		cfg.Out = io.Discard
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, err
	}
	d := &Demo{Cfg: cfg}
	if err := d.start(ctx); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

func (d *Demo) start(ctx context.Context) error {
	var err error
	if d.PKI, err = demoPKI(filepath.Join(d.Cfg.Dir, "pki")); err != nil {
		return err
	}
	cardsDir := filepath.Join(d.Cfg.Dir, "cards")
	cardPKI, csca, err := demoCardTrust(cardsDir)
	if err != nil {
		return err
	}
	if err := d.startCities(ctx, csca); err != nil {
		return err
	}
	leader, err := d.waitLeader(ctx)
	if err != nil {
		return err
	}
	edgeID := "edge-" + d.Cfg.Commune
	if d.Login, err = demoLogin(d.Cfg.Dir); err != nil {
		return err
	}
	if err := d.seed(ctx, leader, edgeID); err != nil {
		return err
	}
	if err := d.credentials(ctx, leader, edgeID); err != nil {
		return err
	}
	if cardPKI != nil {
		cards, err := d.sampleCards()
		if err != nil {
			return err
		}
		d.Cards, err = WriteSampleCards(cardsDir, cardPKI, cards)
	} else if d.Cards, err = LoadCards(cardsDir); err == nil {
		err = d.findVisitor()
	}
	if err != nil {
		return fmt.Errorf("demo: sample cards: %w", err)
	}
	urls := make([]string, len(d.Cities))
	for i, c := range d.Cities {
		urls[i] = c.URL()
	}
	d.Edge, err = StartEdge(ctx, EdgeConfig{
		Dir: filepath.Join(d.Cfg.Dir, "edge"), Listen: d.Cfg.Listen, City: urls,
		Handler: OfficerUI(d.Cards), PushEvery: d.Cfg.PushEvery, PullEvery: d.Cfg.PullEvery, Log: d.Cfg.Log,
		InsecureHTTP: d.Cfg.InsecureHTTP, Login: d.Cfg.Login, Units: d.Cfg.Units, CSCA: d.Cards.CSCA(),
	})
	if err != nil {
		return err
	}
	if d.Edge.Store() == nil {
		return fmt.Errorf("demo: the edge did not unlock through its city key slot: %s", d.Edge.Locked().Kind)
	}
	return d.waitSubset(ctx)
}

// demoPKI makes the demo's PKI, or reuses it; the admin certificate lives
// days, so a folder reused after a while gets a new one.
func demoPKI(dir string) (*certs.PKI, error) {
	if _, err := os.Stat(filepath.Join(dir, "root.crt")); err != nil {
		return certs.Init(dir, certs.InitOptions{})
	}
	p, err := certs.Load(dir)
	if err != nil {
		return nil, err
	}
	if time.Until(p.Admin().Leaf.NotAfter) < 24*time.Hour {
		if _, err := p.RenewAdmin(0, time.Now()); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// startCities starts the city nodes, which verify proofs of presence
// against csca (the sample cards' CSCA).
func (d *Demo) startCities(ctx context.Context, csca *trust.Store) error {
	ports, err := d.ports()
	if err != nil {
		return err
	}
	for i := 0; i < d.Cfg.CityNodes; i++ {
		cfg := CityConfig{
			ID: fmt.Sprintf("city-%d", i+1), Dir: filepath.Join(d.Cfg.Dir, fmt.Sprintf("city-%d", i+1)),
			RaftAddr: ports.Raft[i], APIAddr: ports.API[i], PKI: d.PKI, Bootstrap: i == 0,
			Raft: d.Cfg.Raft, FSM: fsm.DefaultConfig(), Log: d.Cfg.Log, CSCA: csca,
		}
		if i > 0 {
			cfg.Join = d.Cities[0].URL()
		}
		c, err := StartCity(ctx, cfg)
		if err != nil {
			return err
		}
		d.Cities = append(d.Cities, c)
	}
	return nil
}

// ports returns the city nodes' loopback addresses, chosen free on the
// first start and kept in demo.json.
func (d *Demo) ports() (demoPorts, error) {
	path := filepath.Join(d.Cfg.Dir, "demo.json")
	var p demoPorts
	if b, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(b, &p); err != nil {
			return p, fmt.Errorf("demo: %s: %w", path, err)
		}
		if len(p.Raft) >= d.Cfg.CityNodes {
			return p, nil
		}
	}
	p = demoPorts{}
	for i := 0; i < d.Cfg.CityNodes; i++ {
		r, err := freePort()
		if err != nil {
			return p, err
		}
		a, err := freePort()
		if err != nil {
			return p, err
		}
		p.Raft, p.API = append(p.Raft, r), append(p.API, a)
	}
	b, _ := json.MarshalIndent(p, "", "  ")
	return p, os.WriteFile(path, b, 0o600)
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func (d *Demo) waitLeader(ctx context.Context) (*City, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		for _, c := range d.Cities {
			if c.Node().IsLeader() {
				return c, nil
			}
		}
		select {
		case <-ctx.Done():
			return nil, errors.New("demo: the city cluster elected no leader within 30 s")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// seed loads the generated population through raft on first start and
// assigns the commune to the edge node.
func (d *Demo) seed(ctx context.Context, leader *City, edgeID string) error {
	st, err := leader.Node().FSM().Status()
	if err != nil {
		return err
	}
	if st.Citizens == 0 {
		start := time.Now()
		var batch []*registry.Citizen
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			_, err := leader.Node().Apply(ctx, &fsm.Command{Kind: fsm.KindImport, From: localAdmin, Records: batch})
			batch = nil
			return err
		}
		opts := gen.Options{Commune: d.Cfg.Commune, Citizens: d.Cfg.Citizens, Seed: 1}
		emit := func(c *registry.Citizen) error {
			if batch = append(batch, c); len(batch) == 1000 {
				return flush()
			}
			return nil
		}
		if d.Cfg.Defects > 0 {
			_, err = gen.GenerateWithDefects(opts, d.Cfg.Defects, emit)
		} else {
			err = gen.Generate(opts, emit)
		}
		if err == nil {
			err = flush()
		}
		if err != nil {
			return fmt.Errorf("demo: loading the population: %w", err)
		}
		d.Cfg.Log.Info("population loaded through raft", "commune", d.Cfg.Commune, "citizens", d.Cfg.Citizens, "took", time.Since(start).Round(time.Millisecond))
	}
	visitors, err := gen.Citizens(d.visitorOptions())
	if err != nil {
		return err
	}
	if _, err := leader.Node().FSM().Citizen(visitors[0].ID); err != nil && !errors.Is(err, fsm.ErrNotFound) {
		return err
	} else if err != nil {
		if _, err := leader.Node().Apply(ctx, &fsm.Command{Kind: fsm.KindImport, From: localAdmin, Records: visitors}); err != nil {
			return fmt.Errorf("demo: loading the second commune: %w", err)
		}
		d.Cfg.Log.Info("a second commune's citizens loaded: one of them carries a sample card", "commune", d.VisitorCommune, "citizens", len(visitors))
	}
	// The officer's account is city IT's, as in an office: it reaches
	// the edge inside the signed bundle.
	if accounts, _, err := leader.Node().FSM().Officers(d.Cfg.Commune); err != nil {
		return err
	} else if !slices.ContainsFunc(accounts, func(o fsm.Officer) bool { return o.User == d.Login.User }) {
		cmd, err := cityAccount(d.Cfg.Commune, d.Login.User, "Nguyễn Thị Lan", registry.SupervisorRole, d.Login.Password)
		if err != nil {
			return err
		}
		if _, err := leader.Node().Apply(ctx, cmd); err != nil {
			return fmt.Errorf("demo: the officer account: %w", err)
		}
	}
	if held, _ := leader.Node().FSM().NodeCommunes(edgeID); slices.Contains(held, d.Cfg.Commune) {
		return nil
	}
	_, err = leader.Node().Apply(ctx, &fsm.Command{Kind: fsm.KindAssign, From: localAdmin, Node: edgeID, Communes: []string{d.Cfg.Commune}})
	return err
}

// visitorOptions generates the demo's second commune, whose citizens are
// visitors at the demo's office.
func (d *Demo) visitorOptions() gen.Options {
	d.VisitorCommune = demoVisitorCommune
	if d.Cfg.Commune == demoVisitorCommune {
		d.VisitorCommune = DemoCommune
	}
	return gen.Options{Commune: d.VisitorCommune, Citizens: demoVisitors, Seed: 2}
}

// demoCardTrust is the sample cards' CSCA, which the city trusts for
// proofs of presence: that of the cards in dir, or, on first start, a new
// test PKI whose CSCA is written there (the cards are made under it once
// the population is loaded).
func demoCardTrust(dir string) (*emulator.TestPKI, *trust.Store, error) {
	if sc, err := LoadCards(dir); err == nil {
		return nil, sc.CSCA().Store(), nil
	}
	pki, err := NewSampleCardPKI(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("demo: sample card PKI: %w", err)
	}
	store := trust.NewStore()
	if _, err := store.LoadBytes(pki.CSCA); err != nil {
		return nil, nil, err
	}
	return pki, store, nil
}

// reform is the day the two-level administration took effect: cards
// issued before it carry the old units.
var reform = registry.Date{Year: 2025, Month: 7, Day: 1}

// sampleCards picks the demo's cards from the generated populations (the
// same records the city was loaded with), in tap order: a resident with a
// card issued since the reform; one with a card issued before it, whose
// address names the old ward and district (the same place, by the unit
// map); one whose card still shows an address elsewhere (a difference);
// and a citizen of the second commune with active authentication.
func (d *Demo) sampleCards() ([]SampleCard, error) {
	here, err := gen.Citizens(gen.Options{Commune: d.Cfg.Commune, Citizens: d.Cfg.Citizens, Seed: 1})
	if err != nil {
		return nil, err
	}
	visitors, err := gen.Citizens(d.visitorOptions())
	if err != nil {
		return nil, err
	}
	adult := func(c *registry.Citizen) bool {
		return c.Get(registry.FieldCardExpiry) != "" && c.BirthDate().Day != 0
	}
	issued := func(c *registry.Citizen) registry.Date {
		d, _ := registry.ParseDate(c.Get(registry.FieldCardIssued))
		return d
	}
	var out []SampleCard
	// Each card is found by its CAN (the last 6 digits of the ID) when
	// the officer types its number: no two may share one.
	taken := map[string]bool{}
	pick := func(from []*registry.Citizen, keep func(*registry.Citizen) bool) *registry.Citizen {
		for _, c := range from {
			if can := c.ID[6:]; !taken[can] && adult(c) && keep(c) {
				taken[can] = true
				return c
			}
		}
		return nil
	}
	if c := pick(here, func(c *registry.Citizen) bool { return !dateAfter(reform, issued(c)) }); c != nil {
		out = append(out, SampleCard{Name: "1-" + c.ID, Citizen: c})
	}
	if c := pick(here, func(c *registry.Citizen) bool { return dateAfter(reform, issued(c)) }); c != nil {
		out = append(out, SampleCard{Name: "2-" + c.ID, Citizen: c, Residence: preReform(c.Get(registry.FieldPermanentAddress), d.Cfg.Commune)})
	}
	if c := pick(here, func(c *registry.Citizen) bool { return dateAfter(reform, issued(c)) }); c != nil {
		out = append(out, SampleCard{Name: "3-" + c.ID, Citizen: c, Residence: elsewhere(d.Cfg.Commune)})
	}
	if len(out) == 0 {
		return nil, errors.New("no adult with a card in the generated population")
	}
	if c := pick(visitors, func(*registry.Citizen) bool { return true }); c != nil {
		d.Visitor = c.ID
		card := SampleCard{Name: "4-visitor-" + c.ID, Citizen: c, AA: true}
		if dateAfter(reform, issued(c)) {
			card.Residence = preReform(c.Get(registry.FieldPermanentAddress), d.VisitorCommune)
		}
		out = append(out, card)
	}
	return out, nil
}

// findVisitor finds, among the cards of a reused folder, the card of a
// citizen of the second commune (none in a folder of an older demo).
func (d *Demo) findVisitor() error {
	visitors, err := gen.Citizens(d.visitorOptions())
	if err != nil {
		return err
	}
	for _, id := range d.Cards.IDs() {
		if slices.ContainsFunc(visitors, func(c *registry.Citizen) bool { return c.ID == id }) {
			d.Visitor = id
		}
	}
	return nil
}

// dateAfter reports whether a is later than b (full dates).
func dateAfter(a, b registry.Date) bool { return a.String() > b.String() }

// preReform writes an address of a generated commune in the units before
// the reform: its first former ward with its district, as cards issued
// before 1 July 2025 carry it.
func preReform(addr, commune string) string {
	for _, c := range gen.Communes() {
		if c.Code == commune && len(c.Former) > 0 {
			if rest, ok := strings.CutSuffix(addr, c.Place()); ok {
				return rest + c.Former[0]
			}
		}
	}
	return addr
}

// elsewhere is an address in another commune, in the old units: the card
// of someone who moved here and has not renewed it.
func elsewhere(commune string) string {
	for _, c := range gen.Communes() {
		if c.Code != commune && len(c.Former) > 0 {
			return "Số 7 Đường Trần Phú, " + c.Former[0]
		}
	}
	return "Số 7 Đường Trần Phú, Phường Cái Khế, Quận Ninh Kiều, TP Cần Thơ"
}

// credentials enrolls the edge by token, as an office box is: city IT's
// token (made here through raft), then the edge's own key, a CSR, and the
// certificate back over TLS checked against the root the token names. A
// reused demo folder keeps its identity; the edge renews its certificate
// itself, and one that expired while the demo was not running enrolls
// again (the store and its outbox are kept).
func (d *Demo) credentials(ctx context.Context, leader *City, edgeID string) error {
	dir := filepath.Join(d.Cfg.Dir, "edge")
	if _, leaf, _, _, err := loadEdgeIdentity(dir); err == nil && time.Now().Before(leaf.NotAfter) {
		return nil
	}
	tok, err := certs.NewEnrollToken(d.Cfg.Commune, edgeID, d.PKI.RootCert())
	if err != nil {
		return err
	}
	_, err = leader.Node().Apply(ctx, &fsm.Command{Kind: fsm.KindToken, From: localAdmin, Fleet: &fsm.FleetOp{Node: edgeID, Commune: d.Cfg.Commune,
		TokenHash: tok.Hash(), Expires: time.Now().Add(time.Hour), By: "demo"}})
	if err != nil {
		return err
	}
	id, err := Enroll(ctx, dir, leader.URL(), tok.String(), nil)
	if err != nil {
		return err
	}
	d.Cfg.Log.Info("edge enrolled by token", "node", id.Node, "commune", id.Commune)
	return nil
}

// demoLogin returns the demo officer's login, made up on first start.
func demoLogin(dir string) (DemoLogin, error) {
	path := filepath.Join(dir, "demo-login.json")
	var l DemoLogin
	if b, err := os.ReadFile(path); err == nil {
		return l, json.Unmarshal(b, &l)
	}
	l = DemoLogin{User: demoOfficer, Password: rand.Text()[:12]}
	b, _ := json.Marshal(l)
	return l, os.WriteFile(path, b, 0o600)
}

func (d *Demo) waitSubset(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	for {
		if st := d.Edge.Store(); st != nil {
			if _, err := st.Subset(); err == nil {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			var last string
			if e := d.Edge.Services(); e != nil {
				st, _ := e.Status()
				last = st.LastError
			}
			return fmt.Errorf("demo: the edge got no subset within 60 s (locked: %q, last error: %s)", d.Edge.Locked().Kind, last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Close stops the edge first, then the city nodes, followers before the
// leader so the cluster does not hold elections while it goes down.
func (d *Demo) Close() error {
	var errs []error
	if d.Edge != nil {
		errs = append(errs, d.Edge.Close())
	}
	var leader *City
	for _, c := range d.Cities {
		if c.Node().IsLeader() && leader == nil {
			leader = c
			continue
		}
		errs = append(errs, c.Close())
	}
	if leader != nil {
		errs = append(errs, leader.Close())
	}
	return errors.Join(errs...)
}
