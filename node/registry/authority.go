package registry

// The authority table (DESIGN.md, "Trust model"): for every operation,
// who may send it, which citizens it may touch relative to the commune the
// sender acts for, which officer role records it at an edge, and which
// fields it may and must set. The city's state machine decides from this
// table and from the sender the leader stamped into the raft entry (taken
// from the authenticated connection, never from the payload); the officer
// UI asks the same table what to offer.

// Role is who sent a change or command, as the city authenticated it: the
// role its certificate carries.
type Role string

// The sender roles.
const (
	RoleEdge  Role = "edge"  // a commune office's edge node
	RoleAdmin Role = "admin" // city IT: the fleet CLI and dashboard
	RoleCity  Role = "city"  // a city node acting by itself (peer table, not-seen policy, enrollment)
)

// Valid reports whether r is one of the sender roles.
func (r Role) Valid() bool { return r == RoleEdge || r == RoleAdmin || r == RoleCity }

// Reach says which citizens a change may touch, relative to the commune
// the sending node acts for.
type Reach uint8

// The reaches.
const (
	// ReachResident: only a resident of the sender's commune.
	ReachResident Reach = iota + 1
	// ReachVisitor: a resident, or another commune's citizen present at
	// the desk, proven by the chip (see Presence in package fsm).
	ReachVisitor
	// ReachArriving: a resident, or another commune's citizen moving their
	// permanent residence into the sender's commune, proven present.
	ReachArriving
	// ReachNewborn: a new record, in the sender's commune.
	ReachNewborn
	// ReachAny: any citizen (city IT).
	ReachAny
)

func (r Reach) String() string {
	switch r {
	case ReachResident:
		return "resident"
	case ReachVisitor:
		return "resident, or present with proof"
	case ReachArriving:
		return "resident, or moving in with proof"
	case ReachNewborn:
		return "newborn in the commune"
	case ReachAny:
		return "any citizen"
	}
	return "none"
}

// Officer roles at an edge, weakest first.
const (
	OfficerRole    = "officer"    // cán bộ một cửa
	SupervisorRole = "supervisor" // cán bộ phụ trách
)

// Authority is one row of the authority table.
type Authority struct {
	Op     Op
	Sender Role
	Reach  Reach
	// Officer is the least officer role that may record the operation at
	// an edge: a death closes a record for good and a correction rewrites
	// who a person is on the word of documents, so both need a supervisor.
	// Empty for city IT's rows.
	Officer  string
	Allowed  []Field
	Required []Field
}

var personFields = []Field{
	FieldFullName, FieldOtherName, FieldBirthDate, FieldSex, FieldNationality,
	FieldEthnicity, FieldReligion, FieldBirthPlace, FieldHometown,
	FieldPermanentAddress, FieldCurrentAddress, FieldCommune, FieldHousehold,
	FieldRelation, FieldFatherID, FieldFatherName, FieldMotherID, FieldMotherName,
}

// correctableFields are what a commune office may correct: who a person
// is, never where the city says they live, their card or their status.
var correctableFields = []Field{
	FieldFullName, FieldOtherName, FieldBirthDate, FieldSex, FieldNationality,
	FieldEthnicity, FieldReligion, FieldBirthPlace, FieldHometown, FieldFatherID,
	FieldFatherName, FieldMotherID, FieldMotherName, FieldSpouseID, FieldSpouseName,
	FieldOldID, FieldFeatures,
}

var authorities = []Authority{
	{Op: OpRegisterPermanent, Sender: RoleEdge, Reach: ReachArriving, Officer: OfficerRole,
		Allowed:  []Field{FieldPermanentAddress, FieldCurrentAddress, FieldCommune, FieldHousehold, FieldRelation},
		Required: []Field{FieldPermanentAddress, FieldCommune}},
	{Op: OpRegisterTemporary, Sender: RoleEdge, Reach: ReachVisitor, Officer: OfficerRole,
		Allowed: []Field{FieldTemporaryAddress, FieldTemporaryUntil, FieldCurrentAddress,
			FieldTemporaryFrom, FieldResidenceBasis, FieldOwnerConsent},
		Required: []Field{FieldTemporaryAddress, FieldTemporaryUntil}},
	{Op: OpDeclareAbsence, Sender: RoleEdge, Reach: ReachResident, Officer: OfficerRole,
		Allowed:  []Field{FieldAbsence, FieldAbsenceEnd},
		Required: []Field{FieldAbsence}},
	{Op: OpCorrect, Sender: RoleEdge, Reach: ReachResident, Officer: SupervisorRole,
		Allowed: correctableFields},
	{Op: OpRegisterBirth, Sender: RoleEdge, Reach: ReachNewborn, Officer: OfficerRole,
		Allowed:  personFields,
		Required: []Field{FieldFullName, FieldBirthDate, FieldSex, FieldCommune}},
	{Op: OpRegisterDeath, Sender: RoleEdge, Reach: ReachResident, Officer: SupervisorRole,
		Allowed:  []Field{FieldStatus, FieldDeathDate},
		Required: []Field{FieldStatus, FieldDeathDate}},
	{Op: OpHousehold, Sender: RoleEdge, Reach: ReachResident, Officer: OfficerRole,
		Allowed:  []Field{FieldHousehold, FieldRelation},
		Required: []Field{FieldHousehold}},
	{Op: OpProcedure, Sender: RoleEdge, Reach: ReachVisitor, Officer: OfficerRole},
	{Op: OpIdentify, Sender: RoleEdge, Reach: ReachVisitor, Officer: OfficerRole},
	// An office resolves the findings about its own residents only.
	{Op: OpFindingResolve, Sender: RoleEdge, Reach: ReachResident, Officer: OfficerRole},
	// City IT: a correction of any field of any record (the only way to
	// change a deceased citizen's), and the bulk load.
	{Op: OpCorrect, Sender: RoleAdmin, Reach: ReachAny, Allowed: allFields()},
	{Op: OpImport, Sender: RoleAdmin, Reach: ReachAny, Allowed: allFields()},
}

// Authorities returns the authority table, one row per (operation,
// sender); the rows are shared: do not modify them.
func Authorities() []Authority { return authorities }

// AuthorityOf returns the row for op sent by role; false means role may
// not send op at all.
func AuthorityOf(op Op, role Role) (Authority, bool) {
	for _, a := range authorities {
		if a.Op == op && a.Sender == role {
			return a, true
		}
	}
	return Authority{}, false
}

// Known reports whether op is an operation an edge may record.
func (op Op) Known() bool { _, ok := AuthorityOf(op, RoleEdge); return ok }

// OfficerMay reports whether an officer holding officerRole may record op
// at an edge: a supervisor every edge operation, an officer those whose
// row asks for an officer. Unknown roles may record nothing. The officer
// UI asks it to show a form disabled, with the reason, and to refuse its
// POST; the edge node asks again before recording, and the city's state
// machine checks the authority table once more.
func OfficerMay(officerRole string, op Op) bool {
	a, ok := AuthorityOf(op, RoleEdge)
	switch {
	case !ok:
		return false
	case officerRole == SupervisorRole:
		return true
	case officerRole == OfficerRole:
		return a.Officer == OfficerRole
	}
	return false
}

// MaxOfficerLen bounds an officer's user name.
const MaxOfficerLen = 32

// ValidOfficer reports whether s is a well-formed officer user name: 1 to
// MaxOfficerLen of a-z, 0-9, '.', '_' and '-'. Nothing else can name the
// officer of an edge's change, so no markup or control character ever
// reaches a screen from there.
func ValidOfficer(s string) bool {
	if s == "" || len(s) > MaxOfficerLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
