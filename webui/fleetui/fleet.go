package fleetui

import (
	"context"
	"errors"
	"net"
	"time"
)

// Fleet is the city as city IT's dashboard sees it. Package node implements
// it over the city API (mTLS, admin certificate); tests use a fake.
//
// Every method may be called concurrently: the refresher polls Nodes while
// page handlers run. Reads are safe to repeat. The changes (Token, Revoke,
// Reinstate, Assign, Resolve) go through the city's raft log; the UI calls
// each once per submitted form and never retries on its own. A method
// honours ctx: the UI bounds every call with Config.CallTimeout.
//
// Errors: wrap ErrUnreachable, ErrDenied, ErrNotFound or ErrRefused (with
// %w) where they apply, so the page can say what to check; a net.Error
// anywhere in the chain counts as ErrUnreachable.
type Fleet interface {
	// Nodes lists every enrolled node, revoked ones included.
	Nodes(ctx context.Context) ([]Node, error)
	// NodeSeries is the node's recent health, oldest first, at most a few
	// hundred samples.
	NodeSeries(ctx context.Context, node string) ([]Sample, error)
	// CommuneSeries is the same for a commune, over the nodes serving it.
	CommuneSeries(ctx context.Context, commune string) ([]Sample, error)
	// Token creates a one-time enrollment token for commune, bound to node
	// when node is not "", valid for ttl.
	Token(ctx context.Context, commune, node string, ttl time.Duration) (Token, error)
	// Revoke cuts a node off for good: the city refuses its certificate on
	// every connection from then on.
	Revoke(ctx context.Context, node, reason string) error
	// Reinstate lifts a policy suspension. It does not undo a revocation.
	Reinstate(ctx context.Context, node, reason string) error
	// Assign sets the communes a node acts for, replacing the previous set.
	Assign(ctx context.Context, node string, communes []string) error
	// Conflicts lists the changes waiting for city IT's decision.
	Conflicts(ctx context.Context) ([]Conflict, error)
	// Resolve decides one conflict: accept applies the change, reject
	// closes it; both are kept in the history with the reason.
	Resolve(ctx context.Context, entry uint64, accept bool, reason string) error
	// Audit returns up to limit of the node's audit entries with a sequence
	// number above after, in sequence order, with the chain's status.
	Audit(ctx context.Context, node string, after uint64, limit int) (AuditTrail, error)
}

// The states of a node.
const (
	StateActive    = "active"
	StateFlagged   = "flagged"   // not seen for a while (Config.FlagAfter)
	StateSuspended = "suspended" // by policy; Reinstate lifts it
	StateRevoked   = "revoked"   // for good
)

// Node is one edge node as the city knows it. A zero time is unknown; a zero
// LastSeen means the node has not reported since its enrollment, and then
// the figures it reports (disk, outbox, versions) mean nothing yet.
type Node struct {
	ID       string
	Communes []string
	State    string // one of the State constants
	Reason   string // why revoked or suspended

	Enrolled, LastSeen time.Time
	Software           string

	// SubsetVersion is the raft index the node's subset is at, CityVersion
	// the city's index for the node's communes: the node lags by the
	// difference, and has since LastSynced.
	SubsetVersion, CityVersion uint64
	LastSynced                 time.Time

	Outbox         int       // changes recorded on the node, not yet acknowledged by the city
	OldestUnsynced time.Time // when the oldest of them was recorded

	CertExpiry time.Time
	DiskFree   uint64 // bytes free on the node's data disk
	Findings   uint64 // audit findings the city holds against the node

	// TrustVersion is the version of the CSCA trust list the node holds,
	// CityTrustVersion the city's: a node behind checks chips against an
	// older set (see TrustLags).
	TrustVersion, CityTrustVersion uint64
}

// Lag is how many raft entries the node's subset is behind the city.
func (n Node) Lag() uint64 {
	if n.CityVersion > n.SubsetVersion {
		return n.CityVersion - n.SubsetVersion
	}
	return 0
}

// Sample is one point of a health series.
type Sample struct {
	Time     time.Time
	Lag      uint64
	Outbox   int
	Findings uint64
}

// Token is an enrollment token, shown once.
type Token struct {
	Value, Node, Commune string
	Expires              time.Time
}

// Conflict is a change the city's rules sent to review.
type Conflict struct {
	Entry                      uint64 // its raft entry, what Resolve names
	Citizen, Node, Officer, Op string
	Time                       time.Time
	Reason                     string // why it needs a person's decision
	Summary                    string // what the change would do
}

// AuditEntry is one entry of a node's hash-chained audit log.
type AuditEntry struct {
	Seq                              uint64
	Time                             time.Time
	Officer, Action, Citizen, Detail string
}

// AuditTrail is a page of a node's audit log with the chain's status.
type AuditTrail struct {
	Node    string
	Entries []AuditEntry
	// Verified is the sequence number through which the city verified the
	// chain (every entry up to it present and linked); 0: none yet.
	Verified uint64
	// Broken says what is wrong with the chain ("gap at 1234", "hash
	// mismatch at 1235"); "" when nothing is.
	Broken string
}

// Errors a Fleet wraps so that the UI can tell city IT what to check.
var (
	// ErrUnreachable: the city did not answer (network, TLS, timeout).
	ErrUnreachable = errors.New("fleetui: city unreachable")
	// ErrDenied: the city refused the admin certificate.
	ErrDenied = errors.New("fleetui: admin certificate refused")
	// ErrNotFound: no such node, commune or conflict entry.
	ErrNotFound = errors.New("fleetui: not found")
	// ErrRefused: the city refused the request; the error's text says why.
	ErrRefused = errors.New("fleetui: refused by the city")
)

// errorKey picks the catalog message that explains err to city IT.
func errorKey(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, ErrDenied):
		return "fleet.error.denied"
	case errors.Is(err, ErrNotFound):
		return "fleet.error.notfound"
	case errors.Is(err, ErrRefused):
		return "fleet.error.refused"
	case errors.Is(err, context.DeadlineExceeded):
		return "fleet.error.timeout"
	case errors.Is(err, ErrUnreachable), errors.As(err, &ne):
		return "fleet.error.unreachable"
	}
	return "fleet.error.city"
}
