package webui

import (
	"context"
	"sync"
	"time"
)

// Every change form carries a token of its own (form_token), made when the
// form is first shown and carried through the review. The change it
// records is remembered under (officer, token): a second submission of the
// same form — a double click, a reload of the confirmation, a browser that
// resends — leads to the change already recorded instead of recording it
// again. Submissions that race wait for the first to finish. The memory is
// the process's: the window it guards (seconds, minutes) is far shorter
// than an edge's uptime, and a box that restarts between two clicks logs
// nothing twice that the officer cannot see in the queue.

// formTokenLife is how long a recorded form is remembered.
const formTokenLife = 12 * time.Hour

// maxFormTokens bounds the memory; the oldest are forgotten first.
const maxFormTokens = 10000

type formTokens struct {
	mu   sync.Mutex
	now  func() time.Time
	seen map[string]*formUse
}

// formUse is one form's submission: done is closed when its change is
// recorded (change set) or its recording failed (change empty).
type formUse struct {
	at     time.Time
	done   chan struct{}
	change string
}

func newFormTokens(now func() time.Time) *formTokens {
	return &formTokens{now: now, seen: make(map[string]*formUse)}
}

// once runs record for the form (officer, token) unless it ran already,
// and returns the ID of the change that form recorded. A failed record is
// forgotten, so the officer can fix the form and send it again. fresh
// reports whether this call recorded it.
func (f *formTokens) once(ctx context.Context, officer, token string, record func() (string, error)) (change string, fresh bool, err error) {
	key := officer + "\x00" + token
	for {
		f.mu.Lock()
		u, ok := f.seen[key]
		if !ok {
			u = &formUse{at: f.now(), done: make(chan struct{})}
			f.seen[key] = u
			f.trim()
			f.mu.Unlock()
			id, err := record()
			f.mu.Lock()
			u.change = id
			if err != nil || id == "" {
				delete(f.seen, key)
			}
			close(u.done)
			f.mu.Unlock()
			return id, err == nil, err
		}
		f.mu.Unlock()
		select {
		case <-u.done:
		case <-ctx.Done():
			return "", false, ctx.Err()
		}
		if u.change != "" {
			return u.change, false, nil
		}
		// The first try failed: this one tries again.
	}
}

// trim forgets expired forms, and the oldest when there are too many.
// Called with mu held.
func (f *formTokens) trim() {
	if len(f.seen) <= maxFormTokens {
		return
	}
	cut := f.now().Add(-formTokenLife)
	var oldest string
	for k, u := range f.seen {
		if u.at.Before(cut) {
			delete(f.seen, k)
			continue
		}
		if oldest == "" || u.at.Before(f.seen[oldest].at) {
			oldest = k
		}
	}
	if len(f.seen) > maxFormTokens && oldest != "" {
		delete(f.seen, oldest)
	}
}

// validFormToken accepts what randomToken makes.
func validFormToken(t string) bool {
	if len(t) < 16 || len(t) > 64 {
		return false
	}
	for _, c := range t {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
