package registry

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Op is the kind of a change. The string is its stable wire name.
type Op string

// Change operations a commune office records (DESIGN.md, "Domain model"), plus the
// city's bulk import.
const (
	OpImport            Op = "import"             // city only: load a record
	OpRegisterPermanent Op = "register_permanent" // đăng ký thường trú
	OpRegisterTemporary Op = "register_temporary" // đăng ký tạm trú
	OpDeclareAbsence    Op = "declare_absence"    // khai báo tạm vắng
	OpCorrect           Op = "correct"            // điều chỉnh thông tin
	OpRegisterBirth     Op = "register_birth"     // đăng ký khai sinh
	OpRegisterDeath     Op = "register_death"     // đăng ký khai tử
	OpHousehold         Op = "household_change"   // thay đổi hộ
	OpProcedure         Op = "procedure_result"   // kết quả thủ tục: append only
	OpIdentify          Op = "identification"     // audit only
)

// FieldValue is one entry of a patch.
type FieldValue struct {
	Field Field
	Value string
}

// Patch is a field-level change: entries sorted by Field, each at most once.
type Patch []FieldValue

// Get returns the patched value of f and whether the patch sets it.
func (p Patch) Get(f Field) (string, bool) {
	i := sort.Search(len(p), func(i int) bool { return p[i].Field >= f })
	if i < len(p) && p[i].Field == f {
		return p[i].Value, true
	}
	return "", false
}

// PatchFromMap builds a normalized, sorted patch from wire names → values.
func PatchFromMap(m map[string]string) (Patch, error) {
	p := make(Patch, 0, len(m))
	for name, v := range m {
		f, ok := FieldByName(name)
		if !ok {
			return nil, fmt.Errorf("%w: unknown field %q", ErrField, name)
		}
		nv, err := f.Normalize(v)
		if err != nil {
			return nil, err
		}
		p = append(p, FieldValue{f, nv})
	}
	sort.Slice(p, func(i, j int) bool { return p[i].Field < p[j].Field })
	return p, nil
}

// Map returns the patch as wire names → values.
func (p Patch) Map() map[string]string {
	m := make(map[string]string, len(p))
	for _, fv := range p {
		m[fv.Field.String()] = fv.Value
	}
	return m
}

// Change is one recorded action, as it travels from edge to city and
// through the raft log. (Node, Seq) is its identity: a node never reuses a
// sequence number, so a retried change is recognised as a duplicate.
type Change struct {
	Node      string // recording node
	Seq       uint64 // per-node sequence, from 1
	Officer   string // who recorded it
	Op        Op
	Citizen   string // 12-digit ID, or a provisional ID for a birth
	Commune   string // the commune the node acted for
	Base      uint64 // record version the officer saw (0: none, e.g. a birth)
	Patch     Patch
	Time      HLC    // the officer's action time
	Procedure string // dossier / procedure reference
	Note      string // free text: a procedure's result, a correction's grounds
	Sig       []byte // node's signature over SigningBytes (empty until signing exists)
}

// ID is the change's stable identity "node/seq".
func (c *Change) ID() string { return c.Node + "/" + strconv.FormatUint(c.Seq, 10) }

// Limits on free-text parts of a change.
const (
	MaxNoteLen  = 2048
	MaxPatchLen = NumFields
)

// ErrChange is returned by Validate for a malformed change.
var ErrChange = errors.New("invalid change")

// Validate checks a change as an edge sends it: ValidateAs(RoleEdge).
func (c *Change) Validate() error { return c.ValidateAs(RoleEdge) }

// ValidateAs checks what can be checked without state for a change sent by
// role: identity, that role may send the operation at all, the citizen ID
// form, that the patch holds only normalized values of fields the
// operation may set, that required fields are present, and for an edge
// that the officer is a well-formed user name. Whether the node may act
// for the commune, reach the citizen, or the officer's account is active
// is the FSM's call.
func (c *Change) ValidateAs(role Role) error { return c.validate(role, role == RoleEdge) }

// ValidateV1 is Validate as raft log format 1 knew it, before the leader
// stamped senders: an import from anyone, any officer text. The FSM keeps
// it only to decide entries of that format as they were decided then.
func (c *Change) ValidateV1() error {
	if c.Op == OpImport {
		return c.validate(RoleAdmin, false)
	}
	return c.validate(RoleEdge, false)
}

func (c *Change) validate(role Role, checkOfficer bool) error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w %s: %s", ErrChange, c.ID(), fmt.Sprintf(format, a...))
	}
	if c.Node == "" || strings.ContainsAny(c.Node, "/ ") || len(c.Node) > 64 {
		return bad("node %q must be 1–64 characters without '/' or spaces", c.Node)
	}
	if c.Seq == 0 {
		return bad("sequence must start at 1")
	}
	rule, ok := AuthorityOf(c.Op, role)
	if !ok {
		if _, known := AuthorityOf(c.Op, RoleAdmin); known || c.Op.Known() {
			return bad("%s may not send %s", role, c.Op)
		}
		return bad("unknown operation %q", c.Op)
	}
	if checkOfficer && !ValidOfficer(c.Officer) {
		return bad("officer %q must be 1 to %d of a-z, 0-9, '.', '_' and '-'", c.Officer, MaxOfficerLen)
	}
	if c.Op == OpRegisterBirth {
		if !IsProvisional(c.Citizen) {
			if _, err := ParseID(c.Citizen); err != nil {
				return bad("birth needs a provisional or personal ID: %v", err)
			}
		}
	} else if _, err := ParseID(c.Citizen); err != nil {
		return bad("%v", err)
	}
	if len(c.Note) > MaxNoteLen || len(c.Procedure) > MaxValueLen {
		return bad("note or procedure reference too long")
	}
	if len(c.Patch) > MaxPatchLen {
		return bad("patch has %d entries", len(c.Patch))
	}
	for i, fv := range c.Patch {
		if i > 0 && c.Patch[i-1].Field >= fv.Field {
			return bad("patch not sorted or repeats %s", fv.Field)
		}
		if !contains(rule.Allowed, fv.Field) {
			return bad("%s may not set %s", c.Op, fv.Field)
		}
		if nv, err := fv.Field.Normalize(fv.Value); err != nil {
			return bad("%v", err)
		} else if nv != fv.Value {
			return bad("%s is not in canonical form", fv.Field)
		}
		if fv.Field == FieldStatus && fv.Value == StatusMerged {
			return bad("%s %s is set only by city IT's merge of a duplicate pair", FieldStatus, StatusMerged)
		}
	}
	for _, f := range rule.Required {
		if v, ok := c.Patch.Get(f); !ok || v == "" {
			return bad("%s requires %s", c.Op, f)
		}
	}
	return c.validateOp()
}

func (c *Change) validateOp() error {
	switch c.Op {
	case OpRegisterDeath:
		if v, _ := c.Patch.Get(FieldStatus); v != StatusDeceased {
			return fmt.Errorf("%w %s: death must set status to %s", ErrChange, c.ID(), StatusDeceased)
		}
	case OpProcedure:
		if c.Procedure == "" || c.Note == "" {
			return fmt.Errorf("%w %s: a procedure result needs the dossier reference and the result", ErrChange, c.ID())
		}
	case OpFindingResolve:
		if _, ok := ParseFindingRef(c.Procedure); !ok {
			return fmt.Errorf("%w %s: a resolution names the finding (F-number) as its procedure, not %q", ErrChange, c.ID(), c.Procedure)
		}
		if _, _, ok := ParseFindingNote(c.Note); !ok {
			return fmt.Errorf("%w %s: a resolution's note is \"fixed: …\" or \"dismissed: …\"", ErrChange, c.ID())
		}
	case OpRegisterBirth:
		if d, _ := ParseDate(mustGet(c.Patch, FieldBirthDate)); d.Day == 0 {
			return fmt.Errorf("%w %s: a birth needs the full date of birth", ErrChange, c.ID())
		}
	case OpRegisterTemporary:
		return c.validateTemporary()
	}
	return nil
}

// validateTemporary: the start is a full date not after the end, and a
// place the citizen does not own needs its owner's consent (Luật Cư trú
// 2020, Điều 28). The three fields came later than the operation, so a
// change without them (an older edge's) stays valid.
func (c *Change) validateTemporary() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w %s: %s", ErrChange, c.ID(), fmt.Sprintf(format, a...))
	}
	if from, ok := c.Patch.Get(FieldTemporaryFrom); ok && from != "" {
		start, _ := ParseDate(from)
		end, _ := ParseDate(mustGet(c.Patch, FieldTemporaryUntil))
		if start.Day == 0 {
			return bad("%s must be a full date", FieldTemporaryFrom)
		}
		if end.Day != 0 && from >= end.String() {
			return bad("%s %s is not before %s %s", FieldTemporaryFrom, from, FieldTemporaryUntil, end)
		}
	}
	basis, consent := mustGet(c.Patch, FieldResidenceBasis), mustGet(c.Patch, FieldOwnerConsent)
	switch {
	case basis == BasisOwn && consent == ConsentAgreed:
		return bad("%s %s needs no %s %s", FieldResidenceBasis, basis, FieldOwnerConsent, consent)
	case basis != "" && basis != BasisOwn && consent != ConsentAgreed:
		return bad("%s %s requires %s %s", FieldResidenceBasis, basis, FieldOwnerConsent, ConsentAgreed)
	}
	return nil
}

func mustGet(p Patch, f Field) string { v, _ := p.Get(f); return v }

func contains(fs []Field, f Field) bool {
	for _, x := range fs {
		if x == f {
			return true
		}
	}
	return false
}

func allFields() []Field {
	fs := make([]Field, 0, NumFields-1)
	for f := Field(1); f < numFields; f++ {
		fs = append(fs, f)
	}
	return fs
}

// Result is the outcome class the FSM decided for a change (DESIGN.md, "Conflict resolution").
type Result string

// The outcomes.
const (
	Applied     Result = "applied"
	Merged      Result = "merged"
	Superseded  Result = "superseded"
	NeedsReview Result = "needs_review"
	Rejected    Result = "rejected"
	Duplicate   Result = "duplicate"
)

// Loss says that a patched field lost to a later change.
type Loss struct {
	Field  Field
	Winner string // value that stays current
	By     string // change ID that set it
	Time   HLC
}

// Outcome is the city's decision on one change, returned to the edge that
// recorded it and kept in the change history.
type Outcome struct {
	Change string // change ID
	Result Result
	// Original is the first decision when Result is Duplicate: a retried
	// change gets back what happened to it the first time.
	Original Result
	Reason   string // why, for rejected / needs_review / superseded
	Index    uint64 // raft index at which it was decided
	Citizen  string // the citizen's personal ID (a birth's assigned ID)
	Lost     []Loss // fields that did not become current
	Clamped  bool   // the action time was in the future and was clamped
}
