package registry

import (
	"errors"
	"strings"
	"testing"
)

const (
	testCitizenID = "092095012345"
	testFatherID  = "092065000001"
	testMotherID  = "092168000002"
)

// validChange returns a valid change of op; tests break one rule at a time.
func validChange(op Op) *Change {
	c := &Change{
		Node:    "edge-92101",
		Seq:     1,
		Officer: "canbo01",
		Op:      op,
		Citizen: testCitizenID,
		Commune: "92101",
		Base:    41,
		Time:    MakeHLC(1_770_000_000_000, 0),
	}
	switch op {
	case OpRegisterPermanent:
		c.Patch = Patch{
			{FieldPermanentAddress, "12 Đường Mậu Thân, Phường Xuân Khánh, Quận Ninh Kiều, TP Cần Thơ"},
			{FieldCommune, "92101"},
		}
	case OpRegisterTemporary:
		c.Patch = Patch{{FieldTemporaryAddress, "5 Đường 3 Tháng 2, Phường Hưng Lợi"}, {FieldTemporaryUntil, "2027-06-30"}}
	case OpDeclareAbsence:
		c.Patch = Patch{{FieldAbsence, "TP Hồ Chí Minh"}}
	case OpCorrect:
		c.Patch = Patch{{FieldFullName, "Nguyễn Văn An"}}
		c.Note = "theo giấy khai sinh"
	case OpRegisterBirth:
		c.Citizen = ProvisionalID("edge-92101", 1)
		c.Base = 0
		c.Patch = Patch{
			{FieldFullName, "Nguyễn Minh Khang"},
			{FieldBirthDate, "2026-05-01"},
			{FieldSex, SexMale},
			{FieldCommune, "92101"},
			{FieldFatherID, testFatherID},
			{FieldMotherID, testMotherID},
		}
	case OpRegisterDeath:
		c.Patch = Patch{{FieldStatus, StatusDeceased}, {FieldDeathDate, "2026-05-02"}}
	case OpHousehold:
		c.Patch = Patch{{FieldHousehold, "HK92101-000012"}, {FieldRelation, "Con"}}
	case OpProcedure:
		c.Procedure = "000.00.25.H13-260515-0001"
		c.Note = "Đã trả kết quả"
	case OpFindingResolve:
		c.Procedure = FindingRef(42)
		c.Note = FindingNote(ResolutionFixed, "đã đối chiếu giấy khai sinh")
	case OpImport:
		c.Patch = Patch{{FieldFullName, "Nguyễn Văn An"}, {FieldOldID, "361234567"}, {FieldStatus, StatusAlive}}
	}
	return c
}

func TestValidateAcceptsEveryOp(t *testing.T) {
	ops := []Op{OpRegisterPermanent, OpRegisterTemporary, OpDeclareAbsence, OpCorrect,
		OpRegisterBirth, OpRegisterDeath, OpHousehold, OpProcedure, OpIdentify, OpFindingResolve}
	for _, op := range ops {
		if err := validChange(op).Validate(); err != nil {
			t.Errorf("%s: %v", op, err)
		}
		if !op.Known() {
			t.Errorf("%s.Known() = false", op)
		}
	}
	if OpImport.Known() {
		t.Error("import is city-only, but Known() says an edge may record it")
	}
	if err := validChange(OpImport).ValidateAs(RoleAdmin); err != nil {
		t.Errorf("import by city IT: %v", err)
	}
	// A birth may also carry a personal ID already (e.g. a late registration).
	c := validChange(OpRegisterBirth)
	c.Citizen = "092326000001"
	if err := c.Validate(); err != nil {
		t.Errorf("birth with a personal ID: %v", err)
	}
}

func TestValidateRules(t *testing.T) {
	tests := []struct {
		name   string
		op     Op
		mutate func(c *Change)
		want   string // part of the error message
	}{
		{"empty node", OpCorrect, func(c *Change) { c.Node = "" }, "node"},
		{"node with slash", OpCorrect, func(c *Change) { c.Node = "edge/1" }, "node"},
		{"node with space", OpCorrect, func(c *Change) { c.Node = "edge 1" }, "node"},
		{"node too long", OpCorrect, func(c *Change) { c.Node = strings.Repeat("n", 65) }, "node"},
		{"seq 0", OpCorrect, func(c *Change) { c.Seq = 0 }, "sequence"},
		{"unknown op", OpCorrect, func(c *Change) { c.Op = "rename_commune" }, "unknown operation"},
		{"empty op", OpCorrect, func(c *Change) { c.Op = "" }, "unknown operation"},
		{"bad citizen ID", OpCorrect, func(c *Change) { c.Citizen = "0920950123" }, "12 digits"},
		{"provisional ID outside a birth", OpCorrect, func(c *Change) { c.Citizen = ProvisionalID("edge-92101", 3) }, "12 digits"},
		{"provisional ID for a death", OpRegisterDeath, func(c *Change) { c.Citizen = ProvisionalID("edge-92101", 3) }, "12 digits"},
		{"birth with garbage ID", OpRegisterBirth, func(c *Change) { c.Citizen = "baby" }, "provisional or personal ID"},
		{"note too long", OpCorrect, func(c *Change) { c.Note = strings.Repeat("x", MaxNoteLen+1) }, "too long"},
		{"procedure ref too long", OpProcedure, func(c *Change) { c.Procedure = strings.Repeat("x", MaxValueLen+1) }, "too long"},
		{"patch too long", OpCorrect, func(c *Change) { c.Patch = make(Patch, MaxPatchLen+1) }, "entries"},
		{"import from an edge", OpImport, func(c *Change) {}, "edge may not send import"},
		{"officer with markup", OpIdentify, func(c *Change) { c.Officer = "<img src=x onerror=alert(1)>" }, "officer"},
		{"officer empty", OpIdentify, func(c *Change) { c.Officer = "" }, "officer"},
		{"officer upper case", OpIdentify, func(c *Change) { c.Officer = "CanBo01" }, "officer"},
		{"officer too long", OpIdentify, func(c *Change) { c.Officer = strings.Repeat("a", MaxOfficerLen+1) }, "officer"},
		{"unsorted patch", OpRegisterPermanent, func(c *Change) { c.Patch[0], c.Patch[1] = c.Patch[1], c.Patch[0] }, "not sorted"},
		{"repeated field", OpDeclareAbsence, func(c *Change) { c.Patch = append(c.Patch, c.Patch[0]) }, "not sorted"},
		{"non-canonical value", OpCorrect, func(c *Change) { c.Patch[0].Value = decomposedNguyen + " Văn An" }, "canonical"},
		{"non-canonical date", OpRegisterDeath, func(c *Change) { c.Patch[1].Value = "02/05/2026" }, "canonical"},
		{"invalid value", OpCorrect, func(c *Change) { c.Patch = Patch{{FieldSex, "X"}} }, "M or F"},
		{"unknown field in patch", OpCorrect, func(c *Change) { c.Patch = Patch{{Field(NumFields), "x"}} }, "may not set"},

		{"permanent sets other field", OpRegisterPermanent, func(c *Change) {
			c.Patch = append(Patch{{FieldReligion, "Không"}}, c.Patch...)
		}, "may not set religion"},
		{"permanent lacks commune", OpRegisterPermanent, func(c *Change) { c.Patch = c.Patch[:1] }, "requires commune"},
		{"permanent empty address", OpRegisterPermanent, func(c *Change) { c.Patch[0].Value = "" }, "requires permanent_address"},
		{"temporary sets permanent", OpRegisterTemporary, func(c *Change) {
			c.Patch = Patch{{FieldPermanentAddress, "x"}, {FieldTemporaryAddress, "y"}, {FieldTemporaryUntil, "2027-01-01"}}
		}, "may not set permanent_address"},
		{"temporary lacks expiry", OpRegisterTemporary, func(c *Change) { c.Patch = c.Patch[:1] }, "requires temporary_until"},
		{"absence sets address", OpDeclareAbsence, func(c *Change) {
			c.Patch = Patch{{FieldCurrentAddress, "x"}, {FieldAbsence, "y"}}
		}, "may not set current_address"},
		{"absence lacks destination", OpDeclareAbsence, func(c *Change) { c.Patch = Patch{{FieldAbsenceEnd, "2027-01-01"}} }, "requires absence"},
		{"correct sets status", OpCorrect, func(c *Change) { c.Patch = Patch{{FieldStatus, StatusDeceased}} }, "may not set status"},
		{"correct sets commune", OpCorrect, func(c *Change) { c.Patch = Patch{{FieldCommune, "92102"}} }, "may not set commune"},
		{"birth sets spouse", OpRegisterBirth, func(c *Change) {
			c.Patch = append(c.Patch, FieldValue{FieldSpouseID, testFatherID})
		}, "may not set spouse_id"},
		{"birth lacks sex", OpRegisterBirth, func(c *Change) { c.Patch = removeField(c.Patch, FieldSex) }, "requires sex"},
		{"birth lacks name", OpRegisterBirth, func(c *Change) { c.Patch = removeField(c.Patch, FieldFullName) }, "requires full_name"},
		{"birth with year only", OpRegisterBirth, func(c *Change) { setField(c.Patch, FieldBirthDate, "2026") }, "full date"},
		{"birth with year and month", OpRegisterBirth, func(c *Change) { setField(c.Patch, FieldBirthDate, "2026-05") }, "full date"},
		{"death does not set deceased", OpRegisterDeath, func(c *Change) { c.Patch[0].Value = StatusAlive }, "status to deceased"},
		{"death retires the record", OpRegisterDeath, func(c *Change) { c.Patch[0].Value = StatusMerged }, "only by city IT's merge"},
		{"death lacks date", OpRegisterDeath, func(c *Change) { c.Patch = c.Patch[:1] }, "requires death_date"},
		{"death sets name", OpRegisterDeath, func(c *Change) {
			c.Patch = Patch{{FieldFullName, "x"}, {FieldStatus, StatusDeceased}, {FieldDeathDate, "2026-05-02"}}
		}, "may not set full_name"},
		{"household lacks household", OpHousehold, func(c *Change) { c.Patch = c.Patch[1:] }, "requires household"},
		{"household sets address", OpHousehold, func(c *Change) {
			c.Patch = Patch{{FieldPermanentAddress, "x"}, {FieldHousehold, "HK1"}}
		}, "may not set permanent_address"},
		{"procedure without reference", OpProcedure, func(c *Change) { c.Procedure = "" }, "dossier reference"},
		{"procedure without result", OpProcedure, func(c *Change) { c.Note = "" }, "dossier reference"},
		{"procedure with patch", OpProcedure, func(c *Change) { c.Patch = Patch{{FieldFullName, "x"}} }, "may not set full_name"},
		{"identification with patch", OpIdentify, func(c *Change) { c.Patch = Patch{{FieldFeatures, "x"}} }, "may not set features"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validChange(tt.op)
			tt.mutate(c)
			err := c.Validate()
			if !errors.Is(err, ErrChange) {
				t.Fatalf("Validate() = %v, want ErrChange", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %q, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestChangeID(t *testing.T) {
	c := validChange(OpCorrect)
	c.Seq = 1234
	if c.ID() != "edge-92101/1234" {
		t.Errorf("ID() = %q", c.ID())
	}
}

func removeField(p Patch, f Field) Patch {
	out := Patch{}
	for _, fv := range p {
		if fv.Field != f {
			out = append(out, fv)
		}
	}
	return out
}

func setField(p Patch, f Field, v string) {
	for i := range p {
		if p[i].Field == f {
			p[i].Value = v
		}
	}
}

func TestFindingResolveNeedsReferenceAndNote(t *testing.T) {
	for _, tc := range []struct{ procedure, note string }{
		{"42", FindingNote(ResolutionFixed, "x")},
		{"F-042", FindingNote(ResolutionFixed, "x")},
		{"F-", FindingNote(ResolutionFixed, "x")},
		{FindingRef(42), "fixed:"},
		{FindingRef(42), "closed: x"},
		{FindingRef(42), ""},
	} {
		c := validChange(OpFindingResolve)
		c.Procedure, c.Note = tc.procedure, tc.note
		if err := c.Validate(); err == nil {
			t.Errorf("procedure %q note %q accepted", tc.procedure, tc.note)
		}
	}
	c := validChange(OpFindingResolve)
	c.Patch = Patch{{FieldFullName, "X"}}
	if err := c.Validate(); err == nil {
		t.Error("a resolution that sets a field was accepted")
	}
	if id, ok := ParseFindingRef(FindingRef(7)); !ok || id != 7 {
		t.Errorf("FindingRef(7) reads back as %d %v", id, ok)
	}
	if r, text, ok := ParseFindingNote(FindingNote(ResolutionDismissed, " giấy tờ đúng ")); !ok || r != ResolutionDismissed || text != "giấy tờ đúng" {
		t.Errorf("note reads back as %q %q %v", r, text, ok)
	}
}
