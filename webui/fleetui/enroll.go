package fleetui

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Enrollment token lifetimes, in hours: a day by default (DESIGN §10), a
// week at most.
const (
	defaultTTLHours = 24
	maxTTLHours     = 7 * 24
)

// edgeData is the data folder of an edge box installed from the packages.
const edgeData = "/var/lib/xanode"

type enrollPage struct {
	base
	Commune, Node, TTL string
	Field              string // the field in error: "commune", "node" or "ttl"
	Error, Detail      string
	MaxTTL             int
}

type tokenPage struct {
	base
	Token   Token
	Node    string
	Expires string
	Command string
}

func (s *Server) enrollForm(w http.ResponseWriter, r *http.Request, sess []byte) {
	l := langOf(r)
	s.render(w, r, http.StatusOK, "enroll", enrollPage{
		base: s.base(r, sess, l.T("fleet.enroll.title"), "enroll", "/enroll"),
		TTL:  strconv.Itoa(defaultTTLHours), MaxTTL: maxTTLHours,
	})
}

// enroll serves POST /enroll: it asks the city for a token and shows it
// once, with the command that enrolls the edge box. The page is not cached
// and the token is not logged.
func (s *Server) enroll(w http.ResponseWriter, r *http.Request, sess []byte) {
	l := langOf(r)
	p := enrollPage{
		base:    s.base(r, sess, l.T("fleet.enroll.title"), "enroll", "/enroll"),
		Commune: strings.TrimSpace(r.PostForm.Get("commune")),
		Node:    strings.TrimSpace(r.PostForm.Get("node")),
		TTL:     strings.TrimSpace(r.PostForm.Get("ttl")),
		MaxTTL:  maxTTLHours,
	}
	hours, err := strconv.Atoi(p.TTL)
	switch {
	case !validCommune(p.Commune):
		p.Field, p.Error = "commune", l.T("fleet.form.commune")
	case p.Node != "" && !validNodeID(p.Node):
		p.Field, p.Error = "node", l.T("fleet.enroll.badnode")
	case err != nil || hours < 1 || hours > maxTTLHours:
		p.Field, p.Error = "ttl", l.T("fleet.enroll.badttl", maxTTLHours)
	}
	if p.Error != "" {
		s.render(w, r, http.StatusUnprocessableEntity, "enroll", p)
		return
	}
	var tok Token
	err = s.call(r, func(ctx context.Context) (err error) {
		tok, err = s.cfg.Fleet.Token(ctx, p.Commune, p.Node, time.Duration(hours)*time.Hour)
		return err
	})
	if err != nil {
		s.log.Warn("city refused an enrollment token", "commune", p.Commune, "node", p.Node, "err", err)
		p.Error, p.Detail = s.cityError(l, err)
		s.render(w, r, http.StatusBadGateway, "enroll", p)
		return
	}
	s.log.Info("enrollment token created", "commune", tok.Commune, "node", tok.Node, "expires", tok.Expires)
	node := tok.Node
	if node == "" {
		node = l.T("fleet.token.anynode")
	}
	s.render(w, r, http.StatusOK, "token", tokenPage{
		base:    s.base(r, sess, l.T("fleet.token.title"), "enroll", "/enroll"),
		Token:   tok,
		Node:    node,
		Expires: formatTime(tok.Expires, s.cfg.Location),
		Command: "xanode edge enroll --data " + edgeData + " --city " + shellQuote(s.cfg.CityURL) +
			" --token " + shellQuote(tok.Value),
	})
}

// validNodeID is the city's rule for node IDs (certs.ValidNodeID): 1 to
// 64 of a-z, 0-9, '-', '_', '.', not starting with '-' or '.'.
func validNodeID(id string) bool {
	if id == "" || len(id) > 64 || id[0] == '-' || id[0] == '.' {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// shellQuote makes s one word for a POSIX shell, quoting only when needed
// so that the usual URL and token stay easy to read.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/=+@%,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
