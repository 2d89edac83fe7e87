package webui

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// The chip's face is shown to the officer who read the card and to nobody
// else, and never stored (DESIGN.md, "Web UI"): the UI keeps the last face
// of each session in memory, behind an unguessable address that only that
// session's cookie opens, for faceTTL at most; logging out forgets it.

// faceTTL is how long a read face stays viewable: long enough to look at
// the result page again, short enough that a forgotten page on a shared PC
// does not keep it.
const faceTTL = 10 * time.Minute

// maxFaces bounds the faces held: one per session at most, and an office
// has a handful of officers.
const maxFaces = 64

type faceEntry struct {
	token string
	jpeg  []byte
	at    time.Time
}

// faces holds the last face read in each session, by session key.
type faces struct {
	mu     sync.Mutex
	now    func() time.Time
	bySess map[[32]byte]faceEntry
}

func newFaces(now func() time.Time) *faces {
	return &faces{now: now, bySess: map[[32]byte]faceEntry{}}
}

// put keeps jpeg as the session's face, replacing the one before, and
// returns the token of its address.
func (f *faces) put(sess [32]byte, jpeg []byte) string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("webui: crypto/rand: " + err.Error()) // never fails on supported platforms
	}
	token := hex.EncodeToString(b[:])
	now := f.now()
	f.mu.Lock()
	defer f.mu.Unlock()
	for k, e := range f.bySess {
		if now.Sub(e.at) > faceTTL {
			delete(f.bySess, k)
		}
	}
	if _, ok := f.bySess[sess]; !ok && len(f.bySess) >= maxFaces {
		var oldest [32]byte
		var at time.Time
		for k, e := range f.bySess {
			if at.IsZero() || e.at.Before(at) {
				oldest, at = k, e.at
			}
		}
		delete(f.bySess, oldest)
	}
	f.bySess[sess] = faceEntry{token: token, jpeg: jpeg, at: now}
	return token
}

// get returns the session's face if token names it and it is not too old.
func (f *faces) get(sess [32]byte, token string) ([]byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.bySess[sess]
	if !ok || !tokensEqual(e.token, token) {
		return nil, false
	}
	if f.now().Sub(e.at) > faceTTL {
		delete(f.bySess, sess)
		return nil, false
	}
	return e.jpeg, true
}

// drop forgets the session's face.
func (f *faces) drop(sess [32]byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.bySess, sess)
}

// face serves GET /face/{token}: the face of the request's own session,
// never cached by the browser or anything on the way.
func (s *Server) face(w http.ResponseWriter, r *http.Request) {
	token := s.cookie(r, cookieSession)
	if _, ok := s.sessions.get(token, false); !ok {
		http.Error(w, langOf(r).T("error.session"), http.StatusUnauthorized)
		return
	}
	img, ok := s.faces.get(sessionKey(token), r.PathValue("token"))
	if !ok {
		http.Error(w, langOf(r).T("face.gone"), http.StatusNotFound)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "image/jpeg")
	h.Set("Content-Length", strconv.Itoa(len(img)))
	h.Set("Cache-Control", "no-store, private")
	h.Set("Pragma", "no-cache")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	w.Write(img)
}

// showFace files the identification's face for the request's session and
// returns its address; "" when there is none.
func (s *Server) showFace(r *http.Request, id *Identification) string {
	if id == nil || id.Face == nil || len(id.Face.JPEG) == 0 {
		return ""
	}
	return "/face/" + s.faces.put(sessionKey(s.cookie(r, cookieSession)), id.Face.JPEG)
}
