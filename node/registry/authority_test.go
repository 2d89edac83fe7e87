package registry

import (
	"slices"
	"testing"
)

// TestAuthorityTable checks the table row by row: who may send each
// operation, whom it may reach, which officer records it, and a field it
// may and may not set.
func TestAuthorityTable(t *testing.T) {
	tests := []struct {
		op       Op
		sender   Role
		reach    Reach
		officer  string
		may, not Field // 0: none to check
	}{
		{OpRegisterPermanent, RoleEdge, ReachArriving, OfficerRole, FieldCommune, FieldFullName},
		{OpRegisterTemporary, RoleEdge, ReachVisitor, OfficerRole, FieldTemporaryAddress, FieldCommune},
		{OpDeclareAbsence, RoleEdge, ReachResident, OfficerRole, FieldAbsence, FieldCommune},
		{OpCorrect, RoleEdge, ReachResident, SupervisorRole, FieldFullName, FieldCardNumber},
		{OpRegisterBirth, RoleEdge, ReachNewborn, OfficerRole, FieldMotherID, FieldSpouseID},
		{OpRegisterDeath, RoleEdge, ReachResident, SupervisorRole, FieldDeathDate, FieldCommune},
		{OpHousehold, RoleEdge, ReachResident, OfficerRole, FieldHousehold, FieldPermanentAddress},
		{OpProcedure, RoleEdge, ReachVisitor, OfficerRole, 0, FieldFullName},
		{OpIdentify, RoleEdge, ReachVisitor, OfficerRole, 0, FieldFeatures},
		{OpFindingResolve, RoleEdge, ReachResident, OfficerRole, 0, FieldFullName},
		{OpCorrect, RoleAdmin, ReachAny, "", FieldStatus, 0},
		{OpImport, RoleAdmin, ReachAny, "", FieldCardNumber, 0},
	}
	if len(tests) != len(Authorities()) {
		t.Errorf("the table has %d rows, the test %d: test every row", len(Authorities()), len(tests))
	}
	for _, tt := range tests {
		a, ok := AuthorityOf(tt.op, tt.sender)
		if !ok {
			t.Errorf("%s by %s: no row", tt.op, tt.sender)
			continue
		}
		if a.Reach != tt.reach || a.Officer != tt.officer {
			t.Errorf("%s by %s: reach %s officer %q, want %s %q", tt.op, tt.sender, a.Reach, a.Officer, tt.reach, tt.officer)
		}
		if tt.may != 0 && !slices.Contains(a.Allowed, tt.may) {
			t.Errorf("%s by %s may not set %s", tt.op, tt.sender, tt.may)
		}
		if tt.not != 0 && slices.Contains(a.Allowed, tt.not) {
			t.Errorf("%s by %s may set %s", tt.op, tt.sender, tt.not)
		}
		for _, f := range a.Required {
			if !slices.Contains(a.Allowed, f) {
				t.Errorf("%s by %s requires %s but may not set it", tt.op, tt.sender, f)
			}
		}
	}
	for _, forbidden := range []struct {
		op Op
		r  Role
	}{{OpImport, RoleEdge}, {OpRegisterBirth, RoleAdmin}, {OpIdentify, RoleCity}, {OpCorrect, RoleCity}} {
		if _, ok := AuthorityOf(forbidden.op, forbidden.r); ok {
			t.Errorf("%s may send %s", forbidden.r, forbidden.op)
		}
	}
}

func TestOfficerMay(t *testing.T) {
	tests := []struct {
		role string
		op   Op
		want bool
	}{
		{OfficerRole, OpRegisterTemporary, true},
		{OfficerRole, OpRegisterBirth, true},
		{OfficerRole, OpRegisterDeath, false},
		{OfficerRole, OpCorrect, false},
		{SupervisorRole, OpRegisterDeath, true},
		{SupervisorRole, OpCorrect, true},
		{SupervisorRole, OpImport, false},
		{"admin", OpProcedure, false},
		{"", OpIdentify, false},
	}
	for _, tt := range tests {
		if got := OfficerMay(tt.role, tt.op); got != tt.want {
			t.Errorf("OfficerMay(%q, %s) = %v, want %v", tt.role, tt.op, got, tt.want)
		}
	}
}

func TestValidOfficer(t *testing.T) {
	for _, s := range []string{"canbo01", "nguyen.van-an_2", "a"} {
		if !ValidOfficer(s) {
			t.Errorf("ValidOfficer(%q) = false", s)
		}
	}
	for _, s := range []string{"", "Canbo", "cán-bộ", "<b>x</b>", "a b", "x\x00", "abcdefghijklmnopqrstuvwxyz0123456"} {
		if ValidOfficer(s) {
			t.Errorf("ValidOfficer(%q) = true", s)
		}
	}
}
