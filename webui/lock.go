package webui

import (
	"errors"
	"net/http"
)

// ErrLocked is returned by the UI's dependencies while the edge's data
// key is locked away: nothing personal can be read or recorded until an
// officer with a key slot logs in or the city unlocks the box.
var ErrLocked = errors.New("webui: the edge is locked")

// Locker is an optional interface of Officers: an edge whose data key is
// in key slots says why it is locked, and every page (the login page
// above all) shows it, Vietnamese first, with what to do.
type Locker interface {
	// LockState returns "" when the edge runs, or "locked" (no key slot
	// opened yet), "revoked" (the city revoked the box; reason is the
	// city's) or "suspended".
	LockState() (kind, reason string)
}

// lockMessage is the banner of a locked edge ("" when it runs).
func (s *Server) lockMessage(r *http.Request) string {
	lk, ok := s.cfg.Officers.(Locker)
	if !ok {
		return ""
	}
	kind, reason := lk.LockState()
	l := langOf(r)
	switch kind {
	case "":
		return ""
	case "revoked":
		return l.T("lock.revoked", reason)
	case "suspended":
		return l.T("lock.suspended", reason)
	}
	return l.T("lock.locked")
}
