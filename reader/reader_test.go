package reader

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xanode/xanode/reader/emrtd"
	"github.com/xanode/xanode/reader/emulator"
	"github.com/xanode/xanode/reader/iso7816"
	"github.com/xanode/xanode/reader/vncard"
)

var (
	pkiOnce sync.Once
	pki     *emulator.TestPKI
	pkiErr  error
)

func mustPKI(t testing.TB) *emulator.TestPKI {
	t.Helper()
	pkiOnce.Do(func() { pki, pkiErr = emulator.NewTestPKI(time.Now()) })
	if pkiErr != nil {
		t.Fatal(pkiErr)
	}
	return pki
}

var person = emulator.Person{
	ID: "001195012345", FullName: "Nguyễn Thị Thu Hà", DateOfBirth: vncard.Date{Year: 1995, Month: 3, Day: 8}, Sex: "F",
	IssueDate: vncard.Date{Year: 2021, Month: 4, Day: 10}, ExpiryDate: vncard.Date{Year: 2035, Month: 3, Day: 8},
	Nationality: "Việt Nam", Ethnicity: "Kinh", Religion: "Phật giáo", Hometown: "Xã Tân Lộc, Huyện Thới Bình, Cà Mau",
	Residence:       "Số 12 Đường 30/4, Phường Xuân Khánh, Quận Ninh Kiều, Thành phố Cần Thơ",
	Characteristics: "Sẹo chấm C:1cm trên đuôi mày phải", Father: "Nguyễn Văn Hùng", Mother: "Trần Thị Lan",
	Spouse: "Lê Đức Thắng", OldID: "381234567",
}

func mustFiles(t testing.TB) emulator.Files {
	t.Helper()
	files, err := emulator.Build(person, mustPKI(t).DocumentSigner)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func mustCard(t testing.TB, files emulator.Files, opts emulator.Options) *emulator.Card {
	t.Helper()
	c, err := emulator.New(files, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustKey(t testing.TB) MRZKey {
	t.Helper()
	k, err := KeyFromID(person.ID, "950308", "350308")
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// apdusFor is the fewest APDUs a reader can read these files with: SELECT
// EF.CardAccess (absent: no PACE), SELECT AID, GET CHALLENGE, EXTERNAL
// AUTHENTICATE, then per file SELECT, the 4-byte header and 223-byte
// chunks for the rest.
func apdusFor(files emulator.Files, names ...string) int {
	n := 4
	for _, name := range names {
		n += 2 + int(math.Ceil(float64(len(files[name])-4)/emrtd.MaxRead))
	}
	return n
}

func TestReadEndToEnd(t *testing.T) {
	files := mustFiles(t)
	res, err := Read(context.Background(), mustCard(t, files, emulator.Options{QuirkCCCD: true}), mustKey(t))
	if err != nil {
		t.Fatal(err)
	}
	d := res.DG13
	got := emulator.Person{
		ID: d.ID, FullName: d.FullName, DateOfBirth: d.DateOfBirth, Sex: res.mrz.Sex, IssueDate: d.IssueDate,
		ExpiryDate: d.ExpiryDate, Nationality: d.Nationality, Ethnicity: d.Ethnicity, Religion: d.Religion,
		Hometown: d.Hometown, Residence: d.Residence, Characteristics: d.Characteristics, Father: d.Father,
		Mother: d.Mother, Spouse: d.Spouse, OldID: d.OldID,
	}
	if !reflect.DeepEqual(got, person) {
		t.Fatalf("read back\n%+v\nwant\n%+v", got, person)
	}
	if d.Sex != "Nữ" || res.ID != person.ID || res.DocumentNumber != "195012345" || len(res.Warnings) != 0 {
		t.Fatalf("Result = %+v", res)
	}
	wantMRZ := []string{"IDVNM1950123452001195012345<<3", "9503087F3503085VNM<<<<<<<<<<<2", "NGUYEN<<THI<THU<HA<<<<<<<<<<<<"}
	if !reflect.DeepEqual(res.MRZ, wantMRZ) || !reflect.DeepEqual(res.Files, []string{"COM", "DG1", "DG13", "SOD"}) {
		t.Fatalf("MRZ %q files %q", res.MRZ, res.Files)
	}
	if res.Access != "bac" || res.PA.Status != StatusNotChecked || res.CloneCheck != (CloneCheck{Method: "none", Status: StatusNotChecked}) ||
		res.Assurance != AssuranceChipRead || !strings.Contains(res.PA.DocumentSigner, "Document Signer") {
		t.Fatalf("status fields: %+v %+v %+v %v", res.PA, res.CloneCheck, res.Access, res.Assurance)
	}
	if want := apdusFor(files, "COM", "DG1", "DG13", "SOD"); res.APDUs != want || res.APDUs > 25 {
		t.Fatalf("APDUs = %d, want %d (and at most 25)", res.APDUs, want)
	}
	t.Logf("full read: %d APDUs (DG13 %d bytes, SOD %d bytes)", res.APDUs, len(files["DG13"]), len(files["SOD"]))
}

func TestResultJSON(t *testing.T) {
	res, err := Read(context.Background(), mustCard(t, mustFiles(t), emulator.Options{}), mustKey(t))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "doc", "mrz", "dg13", "files", "access", "pa", "clone_check", "assurance", "apdus"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON has no %q: %s", k, b)
		}
	}
	dg13 := m["dg13"].(map[string]any)
	if dg13["1"] != "001195012345" || dg13["2"] != "Nguyễn Thị Thu Hà" || dg13["3"] != "08/03/1995" ||
		dg13["full_name"] != "Nguyễn Thị Thu Hà" || dg13["date_of_birth"] != "1995-03-08" || dg13["15"] != "381234567" {
		t.Fatalf("dg13 = %v", dg13)
	}
	if p, ok := dg13["13"].([]any); !ok || len(p) != 2 || p[0] != "Nguyễn Văn Hùng" || p[1] != "Trần Thị Lan" {
		t.Fatalf("dg13[13] = %v", dg13["13"])
	}
	pa := m["pa"].(map[string]any)
	if pa["status"] != "not_checked" || len(pa["reasons"].([]any)) == 0 || m["assurance"] != "chip-read" || m["access"] != "bac" {
		t.Fatalf("JSON = %s", b)
	}
	if cc := m["clone_check"].(map[string]any); cc["method"] != "none" || cc["status"] != "not_checked" {
		t.Fatalf("clone_check = %v", cc)
	}
}

func TestReadWrongKey(t *testing.T) {
	files := mustFiles(t)
	for _, sw := range []iso7816.StatusWord{0, 0x6988} {
		card := mustCard(t, files, emulator.Options{BACFailSW: sw, QuirkCCCD: true})
		for _, k := range []MRZKey{
			{DocumentNumber: "195012345", DateOfBirth: "950309", DateOfExpiry: "350308"},
			{DocumentNumber: "195012346", DateOfBirth: "950308", DateOfExpiry: "350308"},
			{DocumentNumber: "195012345", DateOfBirth: "950308", DateOfExpiry: "350309"},
		} {
			if _, err := Read(context.Background(), card, k); !errors.Is(err, ErrAccessDenied) || !errors.Is(err, emrtd.ErrAccessDenied) {
				t.Fatalf("key %+v: err = %v, want ErrAccessDenied", k, err)
			}
		}
	}
}

func TestReadKeys(t *testing.T) {
	card := mustCard(t, mustFiles(t), emulator.Options{})
	if _, err := Read(context.Background(), card, CAN("012345")); !errors.Is(err, ErrPACENotSupported) {
		t.Fatalf("CAN: %v", err)
	}
	if _, err := Read(context.Background(), card, nil); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("nil key: %v", err)
	}
	for _, c := range []struct{ id, dob, exp string }{
		{"19501234", "950308", "350308"}, {"001195012345", "9503", "350308"}, {"001195012345", "950308", "351308"},
	} {
		if _, err := KeyFromID(c.id, c.dob, c.exp); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("KeyFromID(%q, %q, %q): %v", c.id, c.dob, c.exp, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Read(ctx, card, mustKey(t)); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestReadFaceAndTampering(t *testing.T) {
	files := mustFiles(t)
	files["DG2"] = append([]byte{0x75, 0x82, 0x0F, 0xA0}, make([]byte, 4000)...)
	if err := emulator.Seal(files, mustPKI(t).DocumentSigner); err != nil {
		t.Fatal(err)
	}
	res, err := Read(context.Background(), mustCard(t, files, emulator.Options{}), mustKey(t))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res.Files, []string{"COM", "DG1", "DG2", "DG13", "SOD"}) || res.PA.Status != StatusNotChecked || len(res.Raw["DG2"]) != 4004 {
		t.Fatalf("files %v PA %+v", res.Files, res.PA)
	}
	if want := apdusFor(files, "COM", "DG1", "DG2", "DG13", "SOD"); res.APDUs != want {
		t.Fatalf("APDUs = %d, want %d", res.APDUs, want)
	}
	res, err = Config{SkipFace: true}.Read(context.Background(), mustCard(t, files, emulator.Options{}), mustKey(t))
	if err != nil || len(res.Files) != 4 {
		t.Fatalf("SkipFace: files %v, %v", res.Files, err)
	}
	// A DG13 changed after the issuer signed: PA fails.
	d, _ := vncard.ParseDG13(files["DG13"])
	d.Residence = "Số 1 Đường Khác, Cần Thơ"
	files["DG13"], _ = d.Marshal()
	res, err = Read(context.Background(), mustCard(t, files, emulator.Options{}), mustKey(t))
	if err != nil {
		t.Fatal(err)
	}
	if res.PA.Status != StatusFailed || len(res.PA.Reasons) != 1 || !strings.Contains(res.PA.Reasons[0], "DG13") || res.Assurance != AssuranceChipRead {
		t.Fatalf("tampered DG13: %+v", res.PA)
	}
}

func TestReadViccSample(t *testing.T) {
	files, err := emulator.LoadDir("testdata/vicc-sample")
	if err != nil {
		t.Fatal(err)
	}
	k, _ := KeyFromID("079090012345", "900115", "300115")
	res, err := Read(context.Background(), mustCard(t, files, emulator.Options{QuirkCCCD: true, BACFailSW: 0x6988}), k)
	if err != nil {
		t.Fatal(err)
	}
	if res.ID != "079090012345" || res.DG13.FullName != "Nguyễn Văn An" || len(res.Files) != 5 || res.PA.Status != StatusFailed {
		t.Fatalf("vicc sample: %+v", res)
	}
}

func TestAssuranceOrder(t *testing.T) {
	order := []Assurance{AssuranceTyped, AssuranceQR, AssuranceChipRead, AssuranceChipVerified, AssuranceChipCloningChecked}
	for i, a := range order {
		for j, b := range order {
			if a.AtLeast(b) != (i >= j) {
				t.Errorf("%s.AtLeast(%s) = %v", a, b, a.AtLeast(b))
			}
		}
	}
	if Assurance("bogus").AtLeast(AssuranceTyped) {
		t.Error("unknown level ranks above typed")
	}
}

func BenchmarkRead(b *testing.B) {
	card := mustCard(b, mustFiles(b), emulator.Options{QuirkCCCD: true})
	key := mustKey(b)
	ctx := context.Background()
	apdus := 0
	b.ReportAllocs()
	for b.Loop() {
		res, err := Read(ctx, card, key)
		if err != nil {
			b.Fatal(err)
		}
		apdus = res.APDUs
	}
	b.ReportMetric(float64(apdus), "apdus/read")
}
