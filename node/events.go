package node

import (
	gosync "sync"

	"github.com/xanode/xanode/webui"
)

// hub fans events out to the UI's open pages. Publishing never blocks: a
// subscriber whose buffer is full misses the event, which is harmless
// because events only tell a page to re-read its state.
type hub struct {
	mu   gosync.Mutex
	subs map[chan webui.Event]struct{}
}

func newHub() *hub { return &hub{subs: map[chan webui.Event]struct{}{}} }

func (h *hub) Subscribe() (<-chan webui.Event, func()) {
	ch := make(chan webui.Event, 16)
	h.mu.Lock()
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	var once gosync.Once
	return ch, func() {
		once.Do(func() {
			h.mu.Lock()
			delete(h.subs, ch)
			h.mu.Unlock()
		})
	}
}

func (h *hub) publish(kind, change string) {
	ev := webui.Event{Kind: kind, Change: change}
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- ev:
		default:
		}
	}
}
