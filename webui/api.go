package webui

import (
	"context"
	"errors"
	"time"

	"github.com/xanode/xanode/node/registry"
)

// Errors the UI's dependencies return so that it can tell the officer what
// happened; adapters in package node map their own errors onto these.
var (
	// ErrNotFound: the citizen is not in the commune's local subset.
	ErrNotFound = errors.New("webui: citizen not in the local data")
	// ErrBadLogin: unknown user, wrong password or disabled account. The
	// three are deliberately not told apart.
	ErrBadLogin = errors.New("webui: wrong user name or password")
	// ErrFrozen: the box has not reached the city for longer than the
	// hard limit of its data (Status.Frozen): it serves no record.
	ErrFrozen = errors.New("webui: the local data is frozen")
	// ErrBusy: too many password checks are under way; nothing was
	// checked, and the officer may try again in a few seconds.
	ErrBusy = errors.New("webui: too many logins at once")
	// ErrNoCard: the reader holds no card (or lost it mid-read).
	ErrNoCard = errors.New("webui: no card on the reader")
	// ErrNoReader: no card reader is attached, or its service (pcscd) is
	// not running.
	ErrNoReader = errors.New("webui: the card reader is not available")
	// ErrKeyRequired: the reader needs the card's ID or CAN to open the
	// chip, and none was typed.
	ErrKeyRequired = errors.New("webui: the chip needs the ID or CAN printed on the card")
	// ErrWrongKey: the chip refused the ID, CAN or dates typed.
	ErrWrongKey = errors.New("webui: the chip refused the key")
	// ErrNeedDates: the chip offers no PACE, so the CAN cannot open it;
	// the date of birth and expiry date (BAC) are needed.
	ErrNeedDates = errors.New("webui: the chip needs the date of birth and expiry date")
	// ErrBadQR: what the scanner typed is not a card's QR payload.
	ErrBadQR = errors.New("webui: not a card's QR code")
	// ErrNotIDCard: the card on the reader is not a chip ID card.
	ErrNotIDCard = errors.New("webui: the card is not a chip ID card")
	// ErrWeakPassword: a new password the account may not take (too
	// short, or the current one).
	ErrWeakPassword = errors.New("webui: the new password is not acceptable")
	// ErrShortName: a name search without a word of two letters or more.
	ErrShortName = errors.New("webui: no word of the name is long enough to search")
)

// Roles an officer may hold.
const (
	RoleOfficer    = registry.OfficerRole
	RoleSupervisor = registry.SupervisorRole
)

// Officer is a logged-in commune officer.
type Officer struct {
	User string // login name; recorded as Change.Officer
	Name string // full name, for display
	Role string // RoleOfficer or RoleSupervisor; any other role cannot log in
}

// Officers checks logins against the officer accounts that came signed with
// the commune bundle (so it works offline).
//
// Authenticate is called concurrently and may be slow (a memory-hard KDF);
// the UI counts each call against the user's and the address's limits
// before making it, and lets each address make only a few at once. It
// returns an error wrapping ErrBadLogin for any refused login, ErrBusy
// when it could not get a turn at the KDF soon enough (nothing checked),
// ctx's error when ctx ended first; any other error means the accounts
// could not be checked.
type Officers interface {
	Authenticate(ctx context.Context, user, password string) (Officer, error)
}

// Registry is the edge's local data and outbox.
//
// Every method is called concurrently from request handlers. The methods
// that return citizen records (Lookup, Search, Household) are how the UI
// reads any record, so the implementation writes the audit entry there:
// who (officer, an Officer.User) saw whom. The UI calls Lookup for every
// record page and for every printed confirmation, so each print is an
// audited lookup too.
type Registry interface {
	// Lookup returns the record of a 12-digit personal ID from the local
	// subset, or an error wrapping ErrNotFound, on behalf of officer
	// (Officer.User), whom the audit entry names.
	Lookup(officer, id string) (*registry.Citizen, error)
	// Search returns the records of the local subset that match q, best
	// first, at most q.Limit of them, with how many match in all, on
	// behalf of officer; the audit entry names the officer and every ID
	// returned. No match is an empty result, not an error; a name with no
	// word of two letters is ErrShortName. See SearchQuery for what
	// matches.
	Search(officer string, q SearchQuery) (SearchResult, error)
	// Household returns every record of the local subset whose household
	// field (registry.FieldHousehold) equals household, in any order (the
	// UI puts the head first), on behalf of officer; each returned record
	// counts as viewed for the audit. An unknown household gives an empty
	// result, not an error; household is never empty.
	Household(officer, household string) ([]*registry.Citizen, error)
	// History returns the last n changes recorded on this node about the
	// citizen with personal ID citizen, newest first, each with its
	// outcome (nil while it waits). A change is about the citizen when its
	// Change.Citizen is that ID, or when it is a birth whose outcome
	// assigned that ID (Outcome.Citizen). Identification events count.
	// officer is named for the audit like a Lookup's.
	History(officer, citizen string, n int) ([]Recorded, error)
	// Record validates a draft, turns it into a change and stores it in the
	// outbox durably before returning. A draft that is not valid gives an
	// error wrapping registry.ErrField or registry.ErrChange and stores
	// nothing; such errors should name the offending field by its wire
	// name (as registry's own do), which the UI uses to put the message
	// next to that field's box. It is not safe to repeat a successful
	// call (each call is a new change).
	Record(d Draft) (*registry.Change, error)
	// Recent returns the last n recorded changes, newest first.
	Recent(n int) ([]Recorded, error)
	// Status reads the node's sync state.
	Status() (Status, error)
}

// RecentLister is implemented by a Registry that can list its recent
// changes without the identifications (card and QR reads): a busy desk
// reads dozens of cards an hour, which would push the changes an officer
// waits for off the outbox page. Without it the UI filters Recent's list.
type RecentLister interface {
	// RecentChanges returns the last n recorded changes that are not
	// identifications, newest first.
	RecentChanges(n int) ([]Recorded, error)
}

// SearchQuery is a search for a citizen without the personal ID, by name
// and date of birth, as an officer types them from a paper or from what
// the citizen says.
type SearchQuery struct {
	// Name is what the officer typed, with or without diacritics (đ is
	// d), never empty. A record matches when the words of its full name,
	// or of its other name, begin with the words typed, in order: "nguyen
	// van" and "van tu" find Nguyễn Văn Tú. Words of one letter are left
	// out.
	Name string
	// Birth is the date of birth, full or partial (year, or year and
	// month), or zero. A record matches when its year of birth is within
	// two years of Birth's or unknown; the nearer, and a date that agrees
	// in every part both know, rank first.
	Birth registry.Date
	// Limit is the most records to return, at least 1. Without a date of
	// birth, a name more than Limit people share returns only the best
	// matches that fit (perhaps none), so that the officer asks for the
	// year of birth rather than browsing strangers.
	Limit int
}

// SearchResult is what a search found: the records returned, best first,
// and how many records match in all (Total ≥ len(Found)).
type SearchResult struct {
	Found []Found
	Total int
}

// Found is one record a search returned and how its name matched.
type Found struct {
	Citizen *registry.Citizen
	Match   string // MatchExact, MatchWords or MatchPrefix
	// OtherName: the other name (tên gọi khác) matched, not the full name.
	OtherName bool
}

// How a name matched a search, best first.
const (
	MatchExact  = "exact"  // the name is what was typed
	MatchWords  = "words"  // every word typed is a word of the name, in order
	MatchPrefix = "prefix" // every word typed begins a word of the name, in order
)

// Draft is what an officer submits; Registry.Record stamps it with the
// node's identity, sequence and time.
type Draft struct {
	Officer string      // Officer.User
	Op      registry.Op // operation
	// Citizen is the 12-digit personal ID, or empty for a birth
	// (registry.OpRegisterBirth): Record then gives the change a
	// provisional ID (registry.ProvisionalID) as its Change.Citizen, and
	// the city's outcome carries the assigned personal ID in
	// Outcome.Citizen.
	Citizen   string
	Patch     map[string]string // field wire name → value (dates YYYY-MM-DD)
	Procedure string            // dossier reference, may be empty
	Note      string            // free text, may be empty
	// Visit is the citizen of another commune the change is about, as
	// the card read at this desk gave it (Identification.Visit); nil for a
	// resident.
	Visit *Visit
}

// Recorded is one change recorded on this node and its outcome.
type Recorded struct {
	Change  *registry.Change
	Outcome *registry.Outcome // nil while the change waits in the outbox
	// Decision is city IT's decision on a change whose Outcome was
	// needs_review, once it came back (see Decisions); nil before.
	Decision *registry.Outcome
}

// Status is the node's sync state as the officer sees it.
type Status struct {
	Node        string
	Commune     string // 5-digit code
	CommuneName string // may be empty
	HasSubset   bool   // false until the first verified subset arrived

	SubsetVersion uint64
	SubsetCount   uint64
	SubsetExpires time.Time
	Stale         bool // the subset expired: data may be out of date
	// Frozen: the subset is past the hard limit of DESIGN.md, "Signed subsets" (by
	// default 30 days after it was built), so identification decisions
	// must not rely on it: the box has not reached the city for that
	// long. Frozen implies Stale. Lookup, Search and Household then refuse
	// with ErrFrozen; the UI says why and what to do, shows a card read
	// without comparing it to the local record, and prints nothing. The
	// outbox still syncs.
	Frozen bool

	Pending       int       // changes waiting in the outbox
	OldestPending time.Time // zero when Pending is 0
	LastSynced    time.Time // last successful exchange with the city; zero: never
	LastError     string    // last sync failure, empty when the last try worked
	// HeldUntil: the city asked the box to send its changes again then
	// (the box sent more than its hourly limit); zero when it did not.
	HeldUntil time.Time
	// CityConnected: the node is in touch with the city now (its stream
	// is up). Every page's header says so, or how long ago the last
	// contact was (LastSynced).
	CityConnected bool

	// Transfer is a long download or import under way; zero when none.
	Transfer Transfer
}

// Transfer is the progress of a download of the commune's data (bytes) or
// of its installation (records).
type Transfer struct {
	Phase       string        // TransferDownload or TransferImport; "" when idle
	Done, Total int64         // Total 0: unknown
	Left        time.Duration // estimated time to the end; 0: unknown
}

// The transfer phases.
const (
	TransferDownload = "download"
	TransferImport   = "import"
)

// QR identifies a citizen by the QR code printed on the card, as a scanner
// typed its payload: matched against the local record and audited like a
// card read (assurance AssuranceQR). A payload that does not parse gives
// ErrBadQR.
type QR interface {
	ScanQR(ctx context.Context, officer, payload string) (*Identification, error)
}

// Cards reads the card on the reader.
//
// Tap reads, authenticates and matches one card against the local record
// on behalf of officer (Officer.User), opening the chip with key; it is
// called from request handlers (possibly concurrently: the implementation
// serialises access to the reader) and must return when ctx ends. It
// returns an error wrapping ErrNoCard when no card is present, and
// ErrNoReader, ErrKeyRequired, ErrWrongKey, ErrNeedDates or ErrNotIDCard
// as they apply. The implementation writes the identification, naming the
// officer, to the audit log.
type Cards interface {
	Tap(ctx context.Context, officer string, key CardKey) (*Identification, error)
}

// CardKey is what the officer typed to open the chip, checked by the UI:
// on the Vietnamese card, PACE with the CAN (the last 6 digits of the ID),
// or BAC with the document number (the last 9 digits of the ID), date of
// birth and expiry date when the chip offers no PACE. The zero key means
// none was typed (the demo's emulated cards know their own).
type CardKey struct {
	ID  string // 12-digit personal ID, or ""
	CAN string // 6-digit card access number when no ID was typed, or ""
	// Dates for BAC, both or neither, and only with ID: YYYY-MM-DD.
	BirthDate, ExpiryDate string
}

// CardReader is implemented by Cards on a reader that reports its state;
// the home page then shows it, live with EventReader.
type CardReader interface {
	// ReaderStatus returns the reader's state now, without blocking.
	ReaderStatus() ReaderStatus
}

// ReaderStatus is what the home page says about the card reader.
type ReaderStatus struct {
	State string // one of the Reader constants; ReaderUnknown shows nothing
	Name  string // the reader's name, when one is attached
	// NeedsKey: the reader opens real chips, which need the ID or CAN;
	// false for emulated cards, which know their own keys.
	NeedsKey bool
}

// States of ReaderStatus.
const (
	ReaderUnknown = ""      // not reported (emulated cards)
	ReaderDown    = "down"  // the reader service (pcscd) is not running
	ReaderNone    = "none"  // no reader attached
	ReaderReady   = "ready" // a reader, no card on it
	ReaderCard    = "card"  // a card is on the reader
)

// Assurance levels of an identification, strongest first (DESIGN.md, "Chip cards").
const (
	AssuranceCloningChecked = "chip-cloning-checked"
	AssuranceChipVerified   = "chip-verified"
	AssuranceChipRead       = "chip-read"
	AssuranceQR             = "qr"
	AssuranceTyped          = "typed"
)

// Identification is the result of one card read.
type Identification struct {
	ID        string   // 12-digit personal ID read from the card
	DocNumber string   // document number (BAC)
	Access    string   // how the chip was opened: "bac", "pace", or "" for QR/typed
	Assurance string   // one of the Assurance constants
	Reasons   []string // why the assurance is not higher (technical, shown as is)
	APDUs     int      // commands exchanged with the chip

	// Chip is what the card said, keyed by registry field wire names
	// (full_name, birth_date, sex, …); dates in any form registry.ParseDate
	// accepts.
	Chip map[string]string
	// Record is the local record, nil if the citizen is not in the subset.
	Record *registry.Citizen
	// Matches compares each field both sides carry, in display order:
	// with the local record, or with the city's record of a visitor.
	Matches []FieldMatch
	// Visit is set when the citizen is not in the local data and the
	// chip proved them present at this desk (see Visit); VisitProblem
	// names why a citizen not in the local data cannot be served here
	// (one of the VisitProblem constants), "" otherwise.
	Visit        *Visit
	VisitProblem string

	// Face is the chip's portrait, ready for a browser; nil when it is
	// not shown, and then FaceProblem says why (a card read) or is ""
	// (a QR code, which has no face). The UI holds it in memory for the
	// officer's session only; nobody stores it.
	Face        *Face
	FaceProblem string
}

// Face is a portrait read from the chip (DG2), as a JPEG.
type Face struct {
	JPEG          []byte
	Width, Height int
}

// Why an identification shows no face (Identification.FaceProblem).
const (
	FaceMissing    = "missing"    // the card has no face image (no DG2)
	FaceJPEG2000   = "jpeg2000"   // JPEG 2000, and this build cannot convert it (needs -tags pcsc)
	FaceUnreadable = "unreadable" // the image cannot be decoded
)

// FieldMatch compares one field of the chip with the local record.
type FieldMatch struct {
	Field string // registry wire name
	Chip  string
	Local string
	Agree bool // decided by the node (normalized comparison), not by the UI
	// Renamed: they agree as places, the chip naming the administrative
	// units before the reform of 1 July 2025 (the node's unit map).
	Renamed bool
}

// Events feeds the live updates of open pages.
//
// Subscribe returns a channel of events and a cancel function that must be
// called once when the subscriber leaves; after cancel the channel receives
// nothing more (it need not be closed). Events are hints to re-read state,
// so a publisher must never block on a slow subscriber: it may drop or
// coalesce events for it. Subscribe is called concurrently, once per open
// page.
type Events interface {
	Subscribe() (<-chan Event, func())
}

// Kinds of Event.
const (
	EventOutbox  = "outbox"  // a change entered or left the outbox
	EventOutcome = "outcome" // the city's outcome for a change arrived
	EventCard    = "card"    // a card was placed on the reader
	EventReader  = "reader"  // the reader's state changed (CardReader)
	EventSync    = "sync"    // sync status changed (connected, failed, new subset)
	// EventDecision: city IT's decision on a change under review arrived
	// (Change names it); its officer has a notice (Decisions).
	EventDecision = "decision"
)

// Event is one live update. It carries no citizen data: the page fetches
// what it shows through the session-checked handlers.
type Event struct {
	Kind   string `json:"kind"`             // one of the Event constants
	Change string `json:"change,omitempty"` // change ID, for outbox and outcome events
}
