package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	gosync "sync"
	"time"

	"github.com/xanode/xanode/reader"
	"github.com/xanode/xanode/reader/pcsc"
	"github.com/xanode/xanode/webui"
)

// Errors of the card sources, which the officer UI turns into words.
var (
	// ErrKeyRequired means a real chip was to be read without the key
	// printed on the card (the ID or CAN).
	ErrKeyRequired = errors.New("node: the chip needs the ID or CAN printed on the card")
	// ErrNoCard means no card was placed on the reader in time, or it was
	// lifted during the read.
	ErrNoCard = errors.New("node: no card on the reader")
	// ErrNoReader means no reader is attached, or pcscd is not running.
	ErrNoReader = errors.New("node: the card reader is not available")
)

// ReaderConfig configures a PCSCReader.
type ReaderConfig struct {
	// Reader is the PC/SC reader's name as `xanode card readers` lists
	// it; "" or "any": the first reader holding a card.
	Reader string
	// Trust holds the CSCA certificates that passive authentication
	// chains to, read at every tap (the city's trust list replaces them
	// while the reader runs); nil, or no CSCA, leaves it unchecked (results
	// then say "chip-read").
	Trust *CSCATrust
	// CardWait is how long a tap waits for a card that is not on the
	// reader yet (the officer pressed Enter first); zero: 3 s.
	CardWait time.Duration
	// Log receives reader and pcscd events; nil: slog.Default().
	Log *slog.Logger
}

// PCSCReader is the CardSource of an office box: a PC/SC reader, watched
// so that the officer UI shows what it holds, and read with the key the
// officer typed, one card at a time. Close stops the watching.
type PCSCReader struct {
	cfg  ReaderConfig
	mon  readerMonitor
	open func(ctx context.Context, name string) (cardConn, error)
	slot chan struct{} // held by the tap that uses the reader

	mu       gosync.Mutex
	onChange func(inserted bool)

	cancel context.CancelFunc
	done   chan struct{}
}

// readerMonitor is pcsc.Monitor as the reader source uses it.
type readerMonitor interface {
	Run(ctx context.Context, emit func(pcsc.Event)) error
	Readers() ([]pcsc.ReaderState, error)
}

// cardConn is a card connected for one read.
type cardConn interface {
	reader.Transport
	Close() error
}

// OpenPCSCReader starts watching the PC/SC readers. pcscd need not run
// yet (the UI says so until it does), but a binary built without PC/SC
// support fails here, with pcsc.ErrNotBuilt, rather than at the first tap.
func OpenPCSCReader(cfg ReaderConfig) (*PCSCReader, error) {
	if _, err := pcsc.Readers(context.Background()); errors.Is(err, pcsc.ErrNotBuilt) {
		return nil, err
	}
	open := func(ctx context.Context, name string) (cardConn, error) {
		c, err := pcsc.Open(ctx, name)
		if err != nil {
			return nil, err
		}
		return c, nil
	}
	return startReader(cfg, pcsc.NewMonitor(pcsc.MonitorConfig{}), open), nil
}

func startReader(cfg ReaderConfig, mon readerMonitor, open func(context.Context, string) (cardConn, error)) *PCSCReader {
	if cfg.Reader == "any" {
		cfg.Reader = ""
	}
	if cfg.CardWait <= 0 {
		cfg.CardWait = 3 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &PCSCReader{cfg: cfg, mon: mon, open: open, slot: make(chan struct{}, 1), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		if err := mon.Run(ctx, r.event); err != nil {
			cfg.Log.Error("card reader monitor stopped", "err", err)
		}
	}()
	return r
}

// Close stops watching the readers and waits for the watcher. A tap in
// progress finishes on its own. Safe to call twice.
func (r *PCSCReader) Close() error {
	r.cancel()
	<-r.done
	return nil
}

// OnChange sets the function called whenever the reader's state changes
// (inserted: a card was just placed). It runs on the watcher's goroutine
// and must return promptly.
func (r *PCSCReader) OnChange(f func(inserted bool)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.onChange = f
}

// ours says whether a reader is the one configured.
func (r *PCSCReader) ours(name string) bool { return r.cfg.Reader == "" || name == r.cfg.Reader }

func (r *PCSCReader) event(ev pcsc.Event) {
	if ev.Reader.Name != "" && !r.ours(ev.Reader.Name) {
		return
	}
	log := r.cfg.Log
	switch ev.Kind {
	case pcsc.ServiceLost:
		log.Warn("card reader service lost; retrying", "err", ev.Err)
	case pcsc.ServiceBack:
		log.Info("card reader service back")
	case pcsc.ReaderAdded, pcsc.ReaderRemoved:
		log.Info(ev.Kind.String(), "reader", ev.Reader.Name)
	default:
		log.Debug(ev.Kind.String(), "reader", ev.Reader.Name, "mute", ev.Reader.Mute)
	}
	r.mu.Lock()
	f := r.onChange
	r.mu.Unlock()
	if f != nil {
		f(ev.Kind == pcsc.CardInserted)
	}
}

// ReaderStatus says what the configured reader holds, for the officer UI.
func (r *PCSCReader) ReaderStatus() webui.ReaderStatus {
	st := webui.ReaderStatus{NeedsKey: true}
	states, err := r.mon.Readers()
	if err != nil {
		st.State = webui.ReaderDown
		return st
	}
	st.State = webui.ReaderNone
	for _, s := range states {
		if !r.ours(s.Name) {
			continue
		}
		if s.Card {
			st.State, st.Name = webui.ReaderCard, s.Name
			return st
		}
		if st.State == webui.ReaderNone {
			st.State, st.Name = webui.ReaderReady, s.Name
		}
	}
	return st
}

// Tap reads the card on the reader (waiting CardWait for one to be
// placed) with the first of keys, and the next ones in turn as long as the
// chip cannot use a key's method: a CAN on a chip without PACE, then the
// MRZ key. Without a key it fails with ErrKeyRequired. Taps wait for each
// other.
func (r *PCSCReader) Tap(ctx context.Context, keys []reader.Key) (*reader.Result, error) {
	if len(keys) == 0 {
		return nil, ErrKeyRequired
	}
	select {
	case r.slot <- struct{}{}:
		defer func() { <-r.slot }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	wait, cancel := context.WithTimeout(ctx, r.cfg.CardWait)
	card, err := r.open(wait, r.cfg.Reader)
	cancel()
	if err != nil {
		return nil, readerError(ctx, err)
	}
	defer card.Close()
	res, err := readWithKeys(ctx, reader.Config{Trust: r.cfg.Trust.Store()}, card, keys, r.cfg.Log)
	if err != nil {
		return nil, readerError(ctx, err)
	}
	return res, nil
}

// readerError says which of the reader's troubles err is. A tap whose own
// time ran out keeps the context's error.
func readerError(ctx context.Context, err error) error {
	switch {
	case ctx.Err() != nil:
		return err
	case errors.Is(err, pcsc.ErrNoCard):
		return fmt.Errorf("%w: %w", ErrNoCard, err)
	case errors.Is(err, pcsc.ErrNoService), errors.Is(err, pcsc.ErrNoReader):
		return fmt.Errorf("%w: %w", ErrNoReader, err)
	}
	return err
}

// challengeKey carries, in a tap's context, the challenge the chip is to
// sign (reader.Config.AAChallenge): the city's for a proof of presence,
// or the office's own when the city is out of reach. It is data of that
// one request, which both card sources pass through to readWithKeys.
type challengeKey struct{}

// withChallenge makes the reads under ctx sign challenge (8 bytes).
func withChallenge(ctx context.Context, challenge []byte) context.Context {
	return context.WithValue(ctx, challengeKey{}, challenge)
}

// readWithKeys reads the chip with keys[0], moving to the next key only
// when the chip cannot use a key's method (reader.ErrPACENotSupported): a
// wrong key stops, as trying others would only count failures on the chip.
// A challenge in ctx (withChallenge) is signed by a chip with active
// authentication, for the read's proof of presence.
func readWithKeys(ctx context.Context, cfg reader.Config, t reader.Transport, keys []reader.Key, log *slog.Logger) (*reader.Result, error) {
	if ch, ok := ctx.Value(challengeKey{}).([]byte); ok {
		cfg.AAChallenge = ch
	}
	for i, k := range keys {
		res, err := cfg.Read(ctx, t, k)
		if err == nil || i == len(keys)-1 || !errors.Is(err, reader.ErrPACENotSupported) {
			return res, err
		}
		log.Info("the chip offers no PACE: reading it with BAC", "err", err)
	}
	return nil, ErrKeyRequired
}
