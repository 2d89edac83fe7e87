package node

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/xanode/xanode/node/edge"
	"github.com/xanode/xanode/node/gen"
	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/node/vault"
	"github.com/xanode/xanode/reader"
	"github.com/xanode/xanode/reader/faceimg"
	"github.com/xanode/xanode/reader/vncard"
	"github.com/xanode/xanode/sync/metrics"
	"github.com/xanode/xanode/webui"
)

// CardSource reads the card on a reader (SampleCards in the demo; a
// PCSCReader on an office box).
//
// Tap reads the card now on the reader with keys[0], moving to the next
// key only when the chip cannot use a key's method (a CAN on a chip
// without PACE: reader.ErrPACENotSupported). No keys asks the source for
// the key itself: the emulated cards know theirs, a real reader fails with
// ErrKeyRequired. Tap may be called concurrently and must return when ctx
// ends.
type CardSource interface {
	Tap(ctx context.Context, keys []reader.Key) (*reader.Result, error)
}

// liveReader is a CardSource whose reader reports its state and changes
// (PCSCReader): the officer UI shows them live.
type liveReader interface {
	ReaderStatus() webui.ReaderStatus
	OnChange(func(inserted bool))
}

// officerUI adapts the edge to the interfaces the officer UI declares.
// The edge's services and store come and go (locked, unlocked, rewritten
// under a new key): every call takes the current ones.
type officerUI struct {
	n     *Edge
	cards CardSource
	hub   *hub
	now   func() time.Time
	reads metrics.Counter // card reads by result and assurance or failure
}

// LoginPolicy is what the officer UI allows of logins (webui.Config);
// zero fields take webui's defaults.
type LoginPolicy struct {
	Help            string        // whom officers call when refused (webui.Config.HelpContact)
	UserFailures    int           // refused logins per user name in Window
	AddressFailures int           // refused logins per client address in Window
	Window          time.Duration // default 15 minutes
}

// OfficerUI is an EdgeConfig.Handler that serves the officer web UI, with
// cards as the reader (nil: no reader attached).
func OfficerUI(cards CardSource) func(n *Edge) (http.Handler, error) {
	return func(n *Edge) (http.Handler, error) {
		a := &officerUI{n: n, cards: cards, hub: n.events, now: n.clock.Now, reads: n.reads}
		cfg := webui.Config{Officers: a, Registry: a, Events: n.events, Log: n.log, QR: a, Secure: n.Secure(), Now: n.clock.Now,
			Units:    adminUnits{},
			Insecure: n.insecure, HelpContact: n.login.Help, LoginFailures: n.login.UserFailures,
			AddressFailures: n.login.AddressFailures, LoginWindow: n.login.Window}
		if cards != nil {
			cfg.Cards = a
			watchReader(cards, n.events)
		}
		return webui.New(cfg)
	}
}

// watchReader tells open pages when a live reader's state changes, and
// when a card is placed on it.
func watchReader(cards CardSource, h *hub) {
	lr, ok := cards.(liveReader)
	if !ok {
		return
	}
	lr.OnChange(func(inserted bool) {
		if inserted {
			h.publish(webui.EventCard, "")
		}
		h.publish(webui.EventReader, "")
	})
}

// live returns the current services and store, or ErrLocked.
func (a *officerUI) live() (*edge.Edge, *edge.Store, error) {
	l := a.n.current()
	if l == nil {
		return nil, nil, fmt.Errorf("%w: %w", webui.ErrLocked, ErrLocked)
	}
	return l.edge, l.store, nil
}

// Authenticate checks an officer's password. On a locked edge the
// officer's key slot is tried first: when it opens, the store opens and
// the password is then checked against the account as on any login. On
// success, the officer's key slot is made or refreshed. Every Argon2id
// run of it (slot and account) goes through the process's one KDF gate:
// when no turn comes, nothing was checked and the UI asks to retry.
func (a *officerUI) Authenticate(ctx context.Context, user, password string) (webui.Officer, error) {
	if a.n.current() == nil {
		err := a.n.UnlockOfficer(ctx, user, password)
		switch {
		case errors.Is(err, vault.ErrNoSlot) || errors.Is(err, vault.ErrWrongKey):
			return webui.Officer{}, fmt.Errorf("%w", webui.ErrBadLogin)
		case errors.Is(err, edge.ErrBusy):
			return webui.Officer{}, fmt.Errorf("%w: %w", webui.ErrBusy, err)
		case err != nil && ctx.Err() != nil:
			return webui.Officer{}, err
		case err != nil:
			return webui.Officer{}, fmt.Errorf("%w: %w", webui.ErrLocked, err)
		}
	}
	_, store, err := a.live()
	if err != nil {
		return webui.Officer{}, err
	}
	o, err := store.Authenticate(ctx, user, password)
	switch {
	case errors.Is(err, edge.ErrBadLogin):
		return webui.Officer{}, fmt.Errorf("%w", webui.ErrBadLogin)
	case errors.Is(err, edge.ErrBusy):
		return webui.Officer{}, fmt.Errorf("%w: %w", webui.ErrBusy, err)
	}
	if err != nil {
		return webui.Officer{}, err
	}
	a.n.officerLoggedIn(ctx, o, password)
	return webui.Officer{User: o.User, Name: o.Name, Role: o.Role}, nil
}

// ChangePassword changes an officer's own password (webui.Passwords; see
// edge.Store.ChangePassword for what it means for a city account), writes
// it to the audit log, and moves the officer's key slot to the new
// password: the old slot goes with the old stamp.
func (a *officerUI) ChangePassword(ctx context.Context, user, current, next string) error {
	_, store, err := a.live()
	if err != nil {
		return err
	}
	o, err := store.ChangePassword(ctx, user, current, next)
	switch {
	case errors.Is(err, edge.ErrBadLogin):
		return fmt.Errorf("%w", webui.ErrBadLogin)
	case errors.Is(err, edge.ErrWeakPassword):
		return fmt.Errorf("%w: %w", webui.ErrWeakPassword, err)
	case errors.Is(err, edge.ErrBusy):
		return fmt.Errorf("%w: %w", webui.ErrBusy, err)
	case err != nil:
		return err
	}
	if err := store.Audit(a.now(), user, edge.AuditPassword, "", o.Source); err != nil {
		return err
	}
	a.n.pruneSlots(store)
	a.n.officerLoggedIn(ctx, o, next)
	return nil
}

// LockState tells the UI why the edge is locked ("" when it is not).
func (a *officerUI) LockState() (kind, reason string) {
	lk := a.n.Locked()
	return lk.Kind, lk.Reason
}

// AccountStamp lets the UI end the sessions of an account that was
// disabled, or whose password or role changed (webui.AccountStamps). A
// locked edge has no account: every session ends.
func (a *officerUI) AccountStamp(user string) (string, error) {
	_, store, err := a.live()
	if err != nil {
		return "", nil
	}
	return store.OfficerStamp(user)
}

// Sessions, SaveSession and DeleteSession keep the UI's sessions sealed in
// the edge store, so that a restart of the box does not log every officer
// out mid-procedure (webui.SessionStore).
func (a *officerUI) Sessions() (map[string][]byte, error) {
	_, store, err := a.live()
	if err != nil {
		return nil, err
	}
	return store.Sessions()
}

func (a *officerUI) SaveSession(id string, data []byte) error {
	_, store, err := a.live()
	if err != nil {
		return err
	}
	return store.SaveSession(id, data)
}

func (a *officerUI) DeleteSession(id string) error {
	_, store, err := a.live()
	if err != nil {
		return nil // nothing of a locked store's sessions can be used
	}
	return store.DeleteSession(id)
}

// Lookup writes the audit entry before it reads: a view that fails after
// the read still counts as a view. A frozen subset is not read at all.
func (a *officerUI) Lookup(officer, id string) (*registry.Citizen, error) {
	e, store, err := a.live()
	if err != nil {
		return nil, err
	}
	if err := e.CheckFrozen(); err != nil {
		return nil, uiFrozen(err)
	}
	if err := store.Audit(a.now(), officer, edge.AuditLookup, id, ""); err != nil {
		return nil, err
	}
	c, err := e.Lookup(id)
	switch {
	case errors.Is(err, edge.ErrNotFound):
		return nil, fmt.Errorf("%w: %s", webui.ErrNotFound, id)
	case errors.Is(err, edge.ErrFrozen):
		return nil, uiFrozen(err)
	}
	return c, err
}

// uiFrozen gives a refusal of a frozen subset the meaning the UI knows.
func uiFrozen(err error) error {
	if errors.Is(err, edge.ErrFrozen) {
		return fmt.Errorf("%w: %w", webui.ErrFrozen, err)
	}
	return err
}

// Search finds records by parts of names and date of birth through the
// store's keyed-hash token index; the audit names every record returned
// (a count of matches shows nobody).
func (a *officerUI) Search(officer string, q webui.SearchQuery) (webui.SearchResult, error) {
	e, store, err := a.live()
	if err != nil {
		return webui.SearchResult{}, err
	}
	res, err := e.Search(edge.Query{Name: q.Name, Birth: q.Birth, Limit: q.Limit})
	if err != nil {
		if errors.Is(err, edge.ErrQuery) {
			return webui.SearchResult{}, fmt.Errorf("%w: %w", webui.ErrShortName, err)
		}
		return webui.SearchResult{}, uiFrozen(err)
	}
	out := webui.SearchResult{Total: res.Total}
	shown := make([]*registry.Citizen, 0, len(res.Matches))
	for _, m := range res.Matches {
		out.Found = append(out.Found, webui.Found{Citizen: m.Citizen, Match: matchNames[m.Class], OtherName: m.OtherName})
		shown = append(shown, m.Citizen)
	}
	return out, auditViews(store, a.now(), officer, "search", shown)
}

var matchNames = map[edge.Class]string{
	edge.ClassExact: webui.MatchExact, edge.ClassWords: webui.MatchWords, edge.ClassPrefix: webui.MatchPrefix,
}

// Household lists a household's members; each counts as viewed.
func (a *officerUI) Household(officer, household string) ([]*registry.Citizen, error) {
	e, store, err := a.live()
	if err != nil {
		return nil, err
	}
	members, err := e.Household(household)
	if err != nil {
		return nil, uiFrozen(err)
	}
	return members, auditViews(store, a.now(), officer, "household "+household, members)
}

func auditViews(store *edge.Store, now time.Time, officer, how string, cs []*registry.Citizen) error {
	for _, c := range cs {
		if err := store.Audit(now, officer, edge.AuditLookup, c.ID, how); err != nil {
			return err
		}
	}
	return nil
}

// History lists the changes recorded here about a citizen.
func (a *officerUI) History(officer, citizen string, n int) ([]webui.Recorded, error) {
	_, store, err := a.live()
	if err != nil {
		return nil, err
	}
	rs, err := store.History(citizen, n)
	return webRecorded(rs), err
}

func webRecorded(rs []edge.Recorded) []webui.Recorded {
	out := make([]webui.Recorded, len(rs))
	for i, r := range rs {
		out[i] = webui.Recorded{Change: r.Change, Outcome: r.Outcome, Decision: r.Decision}
	}
	return out
}

// Notices lists the decisions city IT took on the officer's changes that
// were under review, until the officer dismisses them (webui.Decisions).
func (a *officerUI) Notices(officer string, n int) ([]webui.Recorded, error) {
	_, store, err := a.live()
	if err != nil {
		return nil, err
	}
	rs, err := store.Notices(officer, n)
	return webRecorded(rs), err
}

// Dismiss removes the officer's notice of a decision.
func (a *officerUI) Dismiss(officer, change string) error {
	_, store, err := a.live()
	if err != nil {
		return err
	}
	err = store.DismissNotice(a.n.ID.Node, officer, change)
	if errors.Is(err, edge.ErrNoNotice) {
		return fmt.Errorf("%w: %w", webui.ErrNotFound, err)
	}
	return err
}

// FinalID follows a birth's provisional ID to the one the city gave.
func (a *officerUI) FinalID(provisional string) (string, error) {
	_, store, err := a.live()
	if err != nil {
		return "", err
	}
	id, err := store.FinalID(provisional)
	if errors.Is(err, edge.ErrNotFound) {
		return "", fmt.Errorf("%w: %w", webui.ErrNotFound, err)
	}
	return id, err
}

// Record applies the UI's role rule again from the account that records:
// the UI is not the only way in, and the rule is about people, not pages.
func (a *officerUI) Record(d webui.Draft) (*registry.Change, error) {
	e, store, err := a.live()
	if err != nil {
		return nil, err
	}
	role, err := store.Role(d.Officer)
	if err != nil {
		return nil, err
	}
	if !registry.OfficerMay(role, d.Op) {
		return nil, fmt.Errorf("%w: %s may not record %s", registry.ErrChange, role, d.Op)
	}
	var base uint64
	if d.Visit != nil {
		if base, err = recordVisit(store, d); err != nil {
			return nil, err
		}
	}
	return e.Record(edge.Draft{Officer: d.Officer, Op: d.Op, Citizen: d.Citizen, Patch: d.Patch,
		Procedure: d.Procedure, Note: d.Note, Base: base})
}

func (a *officerUI) Recent(n int) ([]webui.Recorded, error) {
	e, _, err := a.live()
	if err != nil {
		return nil, err
	}
	rs, err := e.Recent(n)
	return webRecorded(rs), err
}

// RecentChanges lists the latest changes that are not identifications
// (webui.RecentLister).
func (a *officerUI) RecentChanges(n int) ([]webui.Recorded, error) {
	_, store, err := a.live()
	if err != nil {
		return nil, err
	}
	rs, err := store.RecentWhere(n, func(c *registry.Change) bool { return c.Op != registry.OpIdentify })
	return webRecorded(rs), err
}

func (a *officerUI) Status() (webui.Status, error) {
	e, _, err := a.live()
	if err != nil {
		return webui.Status{}, err
	}
	st, err := e.Status()
	if err != nil {
		return webui.Status{}, err
	}
	name, _ := gen.CommuneName(st.Commune)
	return webui.Status{
		Node: st.Node, Commune: st.Commune, CommuneName: name, HasSubset: st.HasSubset,
		SubsetVersion: st.Subset.Version, SubsetCount: st.Subset.Count, SubsetExpires: st.Subset.Expires,
		Stale: st.Stale, Frozen: st.Frozen, Pending: st.Queue.Pending, OldestPending: st.Queue.Oldest,
		LastSynced: st.Queue.LastSynced, LastError: st.LastError, HeldUntil: st.HeldUntil, Transfer: webTransfer(e.Progress()),
		CityConnected: a.n.cityConnected(),
	}, nil
}

// ReaderStatus is the live reader's state; emulated cards report none.
func (a *officerUI) ReaderStatus() webui.ReaderStatus {
	if lr, ok := a.cards.(liveReader); ok {
		return lr.ReaderStatus()
	}
	return webui.ReaderStatus{}
}

// Tap reads the card with the key the officer typed, matches it against
// the local record, and records the identification: in the audit log, and
// as an identification change (with any difference as a data-quality
// finding) that travels to the city.
func (a *officerUI) Tap(ctx context.Context, officer string, key webui.CardKey) (*webui.Identification, error) {
	if _, _, err := a.live(); err != nil {
		return nil, err // a locked box reads no card
	}
	keys, err := accessKeys(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", webui.ErrWrongKey, err)
	}
	challenge, fromCity := a.challengeFor(ctx, key)
	if challenge != nil {
		ctx = withChallenge(ctx, challenge)
	}
	res, err := a.cards.Tap(ctx, keys)
	if err != nil {
		a.reads.Inc("failed", readFailure(err))
		return nil, tapError(err)
	}
	a.reads.Inc("ok", string(res.Assurance))
	if _, live := a.cards.(liveReader); !live {
		a.hub.publish(webui.EventCard, "") // emulated cards: the tap is the placing
	}
	face, problem := faceOf(res)
	note := "face shown"
	if problem != "" {
		note = "face not shown: " + problem
	}
	chip := ChipFields(res)
	id, err := a.identified(officer, res.ID, string(res.Assurance), chip, note)
	if err != nil {
		return nil, err
	}
	id.DocNumber, id.Access, id.Reasons, id.APDUs = res.DocumentNumber, res.Access, res.PA.Reasons, res.APDUs
	id.Face, id.FaceProblem = face, problem
	if id.Record == nil && challenge != nil {
		if id.Visit, id.VisitProblem, err = a.visit(ctx, officer, res, fromCity); err != nil {
			return nil, err
		}
		id.Matches = nil
		if v := id.Visit; v != nil && v.Source == webui.VisitCity {
			id.Matches = webMatches(edge.Match(chip, v.Record, a.n.cfg.Units))
		}
	}
	return id, nil
}

// webMatches gives comparisons the officer UI's shape.
func webMatches(ms []edge.FieldMatch) []webui.FieldMatch {
	out := make([]webui.FieldMatch, len(ms))
	for i, m := range ms {
		out[i] = webui.FieldMatch{Field: m.Field.String(), Chip: m.Chip, Local: m.Local, Agree: m.Agree, Renamed: m.Renamed}
	}
	return out
}

// faceOf makes the chip's portrait ready for the officer's browser, or
// says why it cannot be shown. It lives in memory only: the UI holds it
// for the officer's session, and nothing writes it anywhere.
func faceOf(res *reader.Result) (*webui.Face, string) {
	if res.Face == nil {
		if _, read := res.Raw["DG2"]; read {
			return nil, webui.FaceUnreadable
		}
		return nil, webui.FaceMissing
	}
	img, err := faceimg.Display(res.Face)
	switch {
	case errors.Is(err, faceimg.ErrJPEG2000NotBuilt):
		return nil, webui.FaceJPEG2000
	case err != nil:
		return nil, webui.FaceUnreadable
	}
	return &webui.Face{JPEG: img.JPEG, Width: img.Width, Height: img.Height}, ""
}

// ScanQR identifies a citizen by the QR code printed on the card, read by
// a scanner that types its payload into the form. What the QR says is
// printed data, not the chip's signed data: the assurance is "qr", the
// weakest, and differences with the record are found and recorded the
// same way.
func (a *officerUI) ScanQR(_ context.Context, officer, payload string) (*webui.Identification, error) {
	q, err := vncard.ParseQR(payload)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", webui.ErrBadQR, err)
	}
	return a.identified(officer, q.ID, webui.AssuranceQR, QRFields(q), "")
}

// identified matches what a card said with the local record, writes the
// identification to the audit log and, when the citizen is in the subset
// and it is not frozen, records it as an identification change (its note
// carries the differences: a data-quality finding that travels to the
// city). seen adds to the audit entry what else the officer was shown (the
// chip's face), which the change's note does not carry.
func (a *officerUI) identified(officer, citizen, assurance string, chip map[registry.Field]string, seen string) (*webui.Identification, error) {
	e, store, err := a.live()
	if err != nil {
		return nil, err
	}
	// Identify compares with the local record unless the subset is past
	// its hard limit (frozen): then the card is shown without a comparison
	// and no identification decision is recorded on stale data.
	rec, matches, err := e.Identify(citizen, chip)
	frozen := errors.Is(err, edge.ErrFrozen)
	if err != nil && !frozen && !errors.Is(err, edge.ErrNoSubset) && !errors.Is(err, edge.ErrNotFound) {
		return nil, err
	}
	detail := assurance
	switch {
	case frozen:
		detail += "; subset frozen: not compared"
	case rec == nil:
		detail += "; not in the local data"
	default:
		detail = strings.Join(append([]string{assurance}, edge.Differences(matches)...), "; ")
	}
	audited := detail
	if seen != "" {
		audited += "; " + seen
	}
	if err := store.Audit(a.now(), officer, edge.AuditIdentify, citizen, audited); err != nil {
		return nil, err
	}
	if rec != nil && !frozen {
		if _, err := e.Record(edge.Draft{Officer: officer, Op: registry.OpIdentify, Citizen: citizen, Note: detail}); err != nil {
			return nil, err
		}
	}
	id := &webui.Identification{ID: citizen, Assurance: assurance, Chip: map[string]string{}, Record: rec}
	for f, v := range chip {
		id.Chip[f.String()] = v
	}
	id.Matches = webMatches(matches)
	return id, nil
}

// accessKeys turns what the officer typed into the keys to try, in order:
// PACE with the CAN (typed, or the last 6 digits of the ID), then, when
// the dates were typed too, the MRZ key for BAC (document number: the
// last 9 digits of the ID). Nothing typed is no keys.
func accessKeys(k webui.CardKey) ([]reader.Key, error) {
	switch {
	case k == webui.CardKey{}:
		return nil, nil
	case k.CAN != "":
		if k.ID != "" || k.BirthDate != "" || k.ExpiryDate != "" {
			return nil, fmt.Errorf("%w: a CAN goes alone", reader.ErrInvalidKey)
		}
		return []reader.Key{reader.CAN(k.CAN)}, nil
	}
	can, err := reader.CANFromID(k.ID)
	if err != nil {
		return nil, err
	}
	keys := []reader.Key{can}
	if k.BirthDate == "" && k.ExpiryDate == "" {
		return keys, nil
	}
	dob, err := vncard.ParseDate(k.BirthDate)
	if err != nil {
		return nil, fmt.Errorf("%w: date of birth: %w", reader.ErrInvalidKey, err)
	}
	doe, err := vncard.ParseDate(k.ExpiryDate)
	if err != nil {
		return nil, fmt.Errorf("%w: date of expiry: %w", reader.ErrInvalidKey, err)
	}
	mrz, err := reader.KeyFromID(k.ID, dob.YYMMDD(), doe.YYMMDD())
	if err != nil {
		return nil, err
	}
	return append(keys, mrz), nil
}

// tapError gives a card source's error the meaning the officer UI knows.
// readFailure names why a read failed, for the reader metrics.
func readFailure(err error) string {
	switch {
	case errors.Is(err, reader.ErrAccessDenied):
		return "wrong_key"
	case errors.Is(err, reader.ErrPACENotSupported):
		return "pace_not_supported"
	case errors.Is(err, reader.ErrNotCard):
		return "not_id_card"
	case errors.Is(err, ErrKeyRequired):
		return "key_required"
	case errors.Is(err, ErrNoCard):
		return "no_card"
	case errors.Is(err, ErrNoReader):
		return "no_reader"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	}
	return "other"
}

func tapError(err error) error {
	var ui error
	switch {
	case errors.Is(err, reader.ErrAccessDenied):
		ui = webui.ErrWrongKey
	case errors.Is(err, reader.ErrPACENotSupported):
		ui = webui.ErrNeedDates
	case errors.Is(err, reader.ErrNotCard):
		ui = webui.ErrNotIDCard
	case errors.Is(err, ErrKeyRequired):
		ui = webui.ErrKeyRequired
	case errors.Is(err, ErrNoCard):
		ui = webui.ErrNoCard
	case errors.Is(err, ErrNoReader):
		ui = webui.ErrNoReader
	default:
		return err
	}
	return fmt.Errorf("%w: %w", ui, err)
}
