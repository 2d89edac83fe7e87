package fleetui

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/xanode/xanode/webui/i18n"
)

// The data-quality pages (DESIGN.md, "Data quality"): the city's figures
// per commune, problems first, with SVG charts and their weekly trend; a
// commune's figures and findings; a record with its findings, where city
// IT confirms, dismisses or reopens one, or merges a duplicate pair; CSV
// and XLSX exports.
func (s *Server) qualityRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /quality", s.page(s.qualityOverview))
	m.HandleFunc("GET /quality/commune/{code}", s.page(s.qualityCommune))
	m.HandleFunc("GET /quality/citizen/{id}", s.page(s.qualityCitizen))
	m.HandleFunc("POST /quality/finding/{id}", s.post(s.qualityReview))
	m.HandleFunc("GET /quality/export.csv", s.page(s.qualityExport("csv")))
	m.HandleFunc("GET /quality/export.xlsx", s.page(s.qualityExport("xlsx")))
}

// maxListed bounds the findings a page lists; the exports carry more.
const maxListed = 200

type qualityRow struct {
	Commune, URL                                                   string
	Citizens, Completeness, Active, Rate, Duplicates, Stale, Trend string
	Problem                                                        bool
	TrendClass                                                     string
}

type qualityPage struct {
	base
	Error, Detail string
	Off           bool
	Citizens      string
	Completeness  string
	Active        string
	Duplicates    string
	Stale         string
	Charts        []chartView
	Rows          []qualityRow
	CSV, XLSX     string
}

// report fetches the report, or renders why it cannot.
func (s *Server) report(w http.ResponseWriter, r *http.Request, sess []byte) (Quality, QualityReport, bool) {
	q, ok := s.quality()
	if !ok {
		s.renderError(w, r, sess, http.StatusNotFound, langOf(r).T("fleet.quality.unavailable"), "")
		return nil, QualityReport{}, false
	}
	var rep QualityReport
	if err := s.call(r, func(ctx context.Context) (err error) { rep, err = q.QualityReport(ctx); return err }); err != nil {
		s.renderCityError(w, r, sess, "QualityReport", err)
		return nil, rep, false
	}
	return q, rep, true
}

// total sums figures over communes.
func total(fs []QualityFigures) QualityFigures {
	t := QualityFigures{Fields: map[string]int{}, Findings: map[string]map[string]int{}}
	for _, f := range fs {
		t.Citizens += f.Citizens
		t.Alive += f.Alive
		for k, v := range f.Fields {
			t.Fields[k] += v
		}
		for r, states := range f.Findings {
			if t.Findings[r] == nil {
				t.Findings[r] = map[string]int{}
			}
			for st, n := range states {
				t.Findings[r][st] += n
			}
		}
	}
	return t
}

// weeks groups weekly rows (of one commune, or all when commune is "")
// by week, oldest first, summed, and adds now as the last point.
func weeks(rep QualityReport, commune string, now time.Time) []QualityFigures {
	by := map[time.Time][]QualityFigures{}
	for _, f := range rep.Weekly {
		if commune == "" || f.Commune == commune {
			by[f.Week] = append(by[f.Week], f)
		}
	}
	var out []QualityFigures
	for w, fs := range by {
		t := total(fs)
		t.Week = w
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Week.Before(out[j].Week) })
	var cur []QualityFigures
	for _, f := range rep.Now {
		if commune == "" || f.Commune == commune {
			cur = append(cur, f)
		}
	}
	t := total(cur)
	t.Week = now
	return append(out, t)
}

// trendCharts draws the weekly trend of findings needing attention, of
// duplicates and of stale records.
func (s *Server) trendCharts(l i18n.Lang, ws []QualityFigures) []chartView {
	active := chart{Title: l.T("fleet.quality.chart.weekly")}
	dups := chart{Title: l.T("fleet.quality.chart.duplicates")}
	stale := chart{Title: l.T("fleet.quality.chart.stale")}
	for _, w := range ws {
		active.Points = append(active.Points, point{w.Week, uint64(w.Active(""))})
		dups.Points = append(dups.Points, point{w.Week, uint64(w.Active("duplicate"))})
		stale.Points = append(stale.Points, point{w.Week, uint64(w.Active("unconfirmed"))})
	}
	var out []chartView
	for _, c := range []chart{active, dups, stale} {
		out = append(out, chartView{Title: c.Title, SVG: svg(l, s.cfg.Location, c)})
	}
	return out
}

// ruleBars are the findings needing attention per rule, most first.
func ruleBars(l i18n.Lang, rep QualityReport, f QualityFigures) []bar {
	var bars []bar
	for _, r := range rep.Rules {
		if n := f.Active(r.Rule); n > 0 {
			bars = append(bars, bar{Label: ruleLabel(l, r.Rule), Value: float64(n), Text: l.Int(int64(n)), Warn: !r.Exact})
		}
	}
	sort.SliceStable(bars, func(i, j int) bool { return bars[i].Value > bars[j].Value })
	return bars
}

func ruleLabel(l i18n.Lang, rule string) string {
	if k := "fleet.rule." + rule; i18n.Has(l, k) {
		return l.T(k)
	}
	return rule
}

func fieldLabel(l i18n.Lang, field string) string {
	if k := "field." + field; i18n.Has(l, k) {
		return l.T(k)
	}
	return field
}

func (s *Server) qualityOverview(w http.ResponseWriter, r *http.Request, sess []byte) {
	l := langOf(r)
	_, rep, ok := s.report(w, r, sess)
	if !ok {
		return
	}
	p := qualityPage{base: s.base(r, sess, l.T("fleet.quality.title"), "quality", "/quality"), Off: !rep.On,
		CSV: "/quality/export.csv", XLSX: "/quality/export.xlsx"}
	t := total(rep.Now)
	p.Citizens, p.Completeness = l.Int(int64(t.Citizens)), percent(l, completeness(t))
	p.Active, p.Duplicates, p.Stale = l.Int(int64(t.Active(""))), l.Int(int64(t.Active("duplicate"))), l.Int(int64(t.Active("unconfirmed")))
	p.Charts = append([]chartView{{l.T("fleet.quality.chart.rules"), barChart(l, l.T("fleet.quality.chart.rules"), ruleBars(l, rep, t), 0), true}},
		s.trendCharts(l, weeks(rep, "", s.cfg.Now()))...)
	last := map[string]QualityFigures{}
	for _, f := range rep.Weekly {
		if old, ok := last[f.Commune]; !ok || f.Week.After(old.Week) {
			last[f.Commune] = f
		}
	}
	rows := slices.Clone(rep.Now)
	communeRank(rows)
	for _, f := range rows {
		row := qualityRow{Commune: f.Commune, URL: "/quality/commune/" + url.PathEscape(f.Commune),
			Citizens: l.Int(int64(f.Citizens)), Completeness: percent(l, completeness(f)), Active: l.Int(int64(f.Active(""))),
			Rate:       decimal(l, float64(f.Active(""))*1000/float64(max(1, f.Citizens))),
			Duplicates: l.Int(int64(f.Active("duplicate"))), Stale: l.Int(int64(f.Active("unconfirmed"))), Problem: f.Active("") > 0}
		row.Trend, row.TrendClass = trend(l, f, last)
		p.Rows = append(p.Rows, row)
	}
	s.render(w, r, http.StatusOK, "quality", p)
}

// trend compares a commune's findings needing attention now with the end
// of the last week kept.
func trend(l i18n.Lang, f QualityFigures, last map[string]QualityFigures) (string, string) {
	prev, ok := last[f.Commune]
	if !ok {
		return "–", ""
	}
	switch d := f.Active("") - prev.Active(""); {
	case d > 0:
		return l.T("fleet.quality.trend.up", l.Int(int64(d))), "warn"
	case d < 0:
		return l.T("fleet.quality.trend.down", l.Int(int64(-d))), "ok"
	}
	return "=", ""
}

type ruleRow struct {
	Label, Category, URL              string
	Open, Confirmed, Fixed, Dismissed string
	Problem                           bool
}

type findingRow struct {
	ID, Rule, Citizen, CitizenURL, Other, OtherURL, Household string
	Fields, Evidence, Found, FoundBy, StateText, StateClass   string
	Reason, By, Changed                                       string
	Action                                                    string
	Closed                                                    bool
	Pair                                                      bool // a duplicate pair still to decide: it may be merged
	Form                                                      formState
	Merge                                                     *mergeConfirm // the merge to confirm, when asked
}

// mergeConfirm is a merge city IT asked for and is to confirm: the record
// kept and the one retired into it.
type mergeConfirm struct{ Keep, Retire string }

type qualityCommunePage struct {
	base
	Code                                                     string
	Citizens, Alive, Completeness, Active, Duplicates, Stale string
	Charts                                                   []chartView
	Rules                                                    []ruleRow
	Findings                                                 []findingRow
	FindingsError, FindingsDetail                            string
	More                                                     bool
	Rule, State                                              string // the list's filter
	CSV, XLSX                                                string
}

func (s *Server) qualityCommune(w http.ResponseWriter, r *http.Request, sess []byte) {
	l := langOf(r)
	code := r.PathValue("code")
	q, rep, ok := s.report(w, r, sess)
	if !ok {
		return
	}
	var f QualityFigures
	found := false
	for _, x := range rep.Now {
		if x.Commune == code {
			f, found = x, true
		}
	}
	if !found {
		s.renderError(w, r, sess, http.StatusNotFound, l.T("fleet.quality.commune.unknown", code), "")
		return
	}
	esc := url.PathEscape(code)
	p := qualityCommunePage{base: s.base(r, sess, l.T("fleet.quality.commune.heading", code), "quality", "/quality/commune/"+esc),
		Code: code, Citizens: l.Int(int64(f.Citizens)), Alive: l.Int(int64(f.Alive)), Completeness: percent(l, completeness(f)),
		Active: l.Int(int64(f.Active(""))), Duplicates: l.Int(int64(f.Active("duplicate"))), Stale: l.Int(int64(f.Active("unconfirmed"))),
		CSV: "/quality/export.csv?commune=" + esc, XLSX: "/quality/export.xlsx?commune=" + esc,
		Rule: r.URL.Query().Get("rule"), State: r.URL.Query().Get("state")}
	p.Flash = flash(l, r)
	var fields []bar
	for _, name := range completenessFields {
		v := f.Complete(name)
		fields = append(fields, bar{Label: fieldLabel(l, name), Value: v, Text: percent(l, v), Warn: v < 100 && slices.Contains(requiredFields, name)})
	}
	p.Charts = append([]chartView{
		{l.T("fleet.quality.chart.fields"), barChart(l, l.T("fleet.quality.chart.fields"), fields, 100), true},
		{l.T("fleet.quality.chart.rules"), barChart(l, l.T("fleet.quality.chart.rules"), ruleBars(l, rep, f), 0), true},
	}, s.trendCharts(l, weeks(rep, code, s.cfg.Now()))...)
	for _, ru := range rep.Rules {
		st := f.Findings[ru.Rule]
		p.Rules = append(p.Rules, ruleRow{Label: ruleLabel(l, ru.Rule), Category: l.T("fleet.quality.category." + ru.Category),
			URL:  "/quality/commune/" + esc + "?rule=" + url.QueryEscape(ru.Rule) + "#findings",
			Open: l.Int(int64(st[FindingOpen])), Confirmed: l.Int(int64(st[FindingConfirmed])),
			Fixed: l.Int(int64(st[FindingFixed])), Dismissed: l.Int(int64(st[FindingDismissed])), Problem: st[FindingOpen]+st[FindingConfirmed] > 0})
	}
	query := FindingQuery{Commune: code, Rule: p.Rule, Limit: maxListed + 1}
	if p.State != "" {
		query.States = []string{p.State}
	}
	var list []Finding
	if err := s.call(r, func(ctx context.Context) (err error) { list, err = q.Findings(ctx, query); return err }); err != nil {
		s.log.Warn("city call failed", "call", "Findings", "err", err)
		p.FindingsError, p.FindingsDetail = s.cityError(l, err)
	}
	if len(list) > maxListed {
		list, p.More = list[:maxListed], true
	}
	for _, x := range list {
		p.Findings = append(p.Findings, s.findingRow(l, x))
	}
	s.render(w, r, http.StatusOK, "qualitycommune", p)
}

// findingRow shows a finding.
func (s *Server) findingRow(l i18n.Lang, f Finding) findingRow {
	var fields []string
	for _, x := range f.Fields {
		fields = append(fields, fieldLabel(l, x))
	}
	row := findingRow{ID: strconv.FormatUint(f.ID, 10), Rule: ruleLabel(l, f.Rule), Citizen: f.Citizen,
		CitizenURL: "/quality/citizen/" + url.PathEscape(f.Citizen), Other: f.Other, Household: f.Household,
		Fields: strings.Join(fields, ", "), Evidence: l.Evidence(f.Evidence), Found: formatTime(f.Found, s.cfg.Location),
		FoundBy: l.T("fleet.quality.by.rules"), StateText: l.T("fleet.quality.state." + f.State), StateClass: stateClass(f.State),
		Reason: f.Reason, By: f.By, Changed: formatTime(f.Changed, s.cfg.Location),
		Action: "/quality/finding/" + strconv.FormatUint(f.ID, 10), Closed: f.State == FindingFixed || f.State == FindingDismissed}
	row.Pair = f.Rule == "duplicate" && f.Other != "" && !row.Closed
	if f.Other != "" {
		row.OtherURL = "/quality/citizen/" + url.PathEscape(f.Other)
	}
	if f.Node != "" && f.Node != "city" {
		row.FoundBy = l.T("fleet.quality.by.read", f.Node, f.Assurance)
	}
	return row
}

func stateClass(state string) string {
	switch state {
	case FindingOpen:
		return "bad"
	case FindingConfirmed:
		return "warn"
	}
	return "ok"
}

type fieldRow struct{ Label, Value string }

type qualityCitizenPage struct {
	base
	ID         string
	MergedInto string // a retired duplicate: the record it went into
	MergedURL  string
	Fields     []fieldRow
	Findings   []findingRow
}

func (s *Server) qualityCitizen(w http.ResponseWriter, r *http.Request, sess []byte) {
	s.renderCitizen(w, r, sess, 0, formState{}, nil, http.StatusOK)
}

// renderCitizen shows a record with its findings; the form of finding
// (if not 0) shows form again, and asks to confirm merge if it is set.
func (s *Server) renderCitizen(w http.ResponseWriter, r *http.Request, sess []byte, finding uint64, form formState, merge *mergeConfirm, status int) {
	l := langOf(r)
	id := r.PathValue("id")
	q, ok := s.quality()
	if !ok {
		s.renderError(w, r, sess, http.StatusNotFound, l.T("fleet.quality.unavailable"), "")
		return
	}
	var rec CitizenRecord
	if err := s.call(r, func(ctx context.Context) (err error) { rec, err = q.Citizen(ctx, id); return err }); err != nil {
		s.renderCityError(w, r, sess, "Citizen", err)
		return
	}
	p := qualityCitizenPage{base: s.base(r, sess, l.T("fleet.quality.citizen.heading", rec.ID), "quality", "/quality/citizen/"+url.PathEscape(rec.ID)),
		ID: rec.ID, MergedInto: rec.MergedInto}
	if rec.MergedInto != "" {
		p.MergedURL = "/quality/citizen/" + url.PathEscape(rec.MergedInto)
	}
	p.Flash = flash(l, r)
	names := make([]string, 0, len(rec.Fields))
	for k := range rec.Fields {
		names = append(names, k)
	}
	order := func(name string) int {
		if i := slices.Index(completenessFields, name); i >= 0 {
			return i
		}
		return len(completenessFields)
	}
	sort.SliceStable(names, func(i, j int) bool {
		if a, b := order(names[i]), order(names[j]); a != b {
			return a < b
		}
		return names[i] < names[j]
	})
	for _, k := range names {
		p.Fields = append(p.Fields, fieldRow{fieldLabel(l, k), rec.Fields[k]})
	}
	for _, f := range rec.Findings {
		row := s.findingRow(l, f)
		if f.ID == finding {
			row.Form = form
			if merge != nil {
				row.Merge = &mergeConfirm{Keep: merge.Keep, Retire: f.Other}
				switch {
				case !row.Pair:
					row.Merge, row.Form.Error = nil, l.T("fleet.quality.merge.notpair")
				case merge.Keep == f.Other:
					row.Merge.Retire = f.Citizen
				case merge.Keep != f.Citizen:
					row.Merge, row.Form.Error = nil, l.T("fleet.quality.merge.notpair")
				}
			}
		}
		p.Findings = append(p.Findings, row)
	}
	s.render(w, r, status, "qualitycitizen", p)
}

// qualityReview serves POST /quality/finding/{id}: confirm, dismiss or
// reopen, with a reason; back to the record it is about (citizen). A
// button "keep" of a duplicate pair asks for a merge, which the page then
// asks to confirm (confirm=yes) before anything goes to the city.
func (s *Server) qualityReview(w http.ResponseWriter, r *http.Request, sess []byte) {
	l := langOf(r)
	q, ok := s.quality()
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	citizen := r.PostForm.Get("citizen")
	if !ok || err != nil || id == 0 || citizen == "" {
		s.renderError(w, r, sess, http.StatusNotFound, l.T("fleet.quality.finding.unknown", r.PathValue("id")), "")
		return
	}
	r.SetPathValue("id", citizen)
	why, errKey := reason(r)
	action, keep := r.PostForm.Get("action"), r.PostForm.Get("keep")
	if keep != "" {
		action = ActionMerge
	}
	if errKey == "" && action != ActionConfirm && action != ActionDismiss && action != ActionReopen && action != ActionMerge {
		errKey = "fleet.quality.noaction"
	}
	form := formState{Reason: why}
	if errKey != "" {
		form.Error = formMessage(l, errKey)
		s.renderCitizen(w, r, sess, id, form, nil, http.StatusUnprocessableEntity)
		return
	}
	back := citizen
	call := func(ctx context.Context) error { return q.ReviewFinding(ctx, id, action, why) }
	if action == ActionMerge {
		if r.PostForm.Get("confirm") != "yes" {
			s.renderCitizen(w, r, sess, id, form, &mergeConfirm{Keep: keep}, http.StatusOK)
			return
		}
		back = keep
		call = func(ctx context.Context) error { return q.MergeFinding(ctx, id, keep, why) }
	}
	if err := s.call(r, call); err != nil {
		s.log.Warn("city refused a finding review", "finding", id, "action", action, "err", err)
		form.Error, form.Detail = s.cityError(l, err)
		s.renderCitizen(w, r, sess, id, form, nil, http.StatusBadGateway)
		return
	}
	s.log.Info("finding reviewed", "finding", id, "action", action, "keep", keep)
	http.Redirect(w, r, "/quality/citizen/"+url.PathEscape(back)+"?done=finding-"+action, http.StatusSeeOther)
}
