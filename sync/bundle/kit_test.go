package bundle

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/xanode/xanode/certs"
	"github.com/xanode/xanode/node/registry"
	"github.com/xanode/xanode/sync/digest"
)

// testNow is when the test PKIs are issued and bundles created.
var testNow = time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)

const testCommune = "00367"

func mustPKI(t testing.TB) *certs.PKI {
	t.Helper()
	p, err := certs.Init(t.TempDir(), certs.InitOptions{
		CityNodes: []string{"city-1"},
		Now:       func() time.Time { return testNow },
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// verifierOf trusts p's root an hour after the bundles are created.
func verifierOf(p *certs.PKI) Verifier {
	return Verifier{Roots: p.RootPool(), Now: testNow.Add(time.Hour)}
}

func fullHeader() Header {
	return Header{Kind: KindFull, Commune: testCommune, To: 4242, Created: testNow, Officers: testOfficers()}
}

// testOfficers is a commune's officer list: an officer, a supervisor and
// a disabled account, in user order.
func testOfficers() []Officer {
	cred := func(user, name, role string, seed byte) Officer {
		return Officer{User: user, Name: name, Role: role, Salt: bytes.Repeat([]byte{seed}, 16),
			Hash: bytes.Repeat([]byte{seed + 1}, 32), Time: 3, Memory: 64 << 10, Threads: 2}
	}
	return []Officer{
		cred("canbo01", "Nguyễn Thị Lan", RoleOfficer, 1),
		{User: "canbo02", Name: "Trần Văn Bình", Role: RoleOfficer, Disabled: true},
		cred("truongca", "Lê Văn Hùng", RoleSupervisor, 7),
	}
}

func mustBuild(t testing.TB, p *certs.PKI, recs []*registry.Citizen) ([]byte, Header) {
	t.Helper()
	key, cert := p.DataSigner()
	var buf bytes.Buffer
	h, err := Build(&buf, fullHeader(), slices.Values(recs), key, cert)
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), h
}

// forge writes a bundle whose payload is recs in the given order and
// encoding, signed by key with cert, after mutate has changed the header:
// bundles Build would refuse to make.
func forge(t testing.TB, key ed25519.PrivateKey, cert *x509.Certificate, recs []*registry.Citizen, stamps bool, mutate func(*Header)) []byte {
	t.Helper()
	h := fullHeader()
	h.Expires = h.Created.Add(DefaultExpiry)
	h.Signer = cert
	var raw []byte
	var d digest.Hash
	for _, c := range recs {
		n := len(raw)
		raw = registry.AppendCitizen(raw, c, stamps)
		d.Add([]byte(c.ID), raw[n:])
	}
	enc, err := zstd.NewWriter(nil, encoderOptions...)
	if err != nil {
		t.Fatal(err)
	}
	payload := enc.EncodeAll(raw, nil)
	h.Count, h.RawSize, h.PayloadSize = uint64(len(recs)), uint64(len(raw)), uint64(len(payload))
	h.Digest = d.Sum()
	h.PayloadHash = sha256.Sum256(payload)
	h.Format = FormatRows
	if mutate != nil {
		mutate(&h)
	}
	rowsFormat(&h)
	var buf bytes.Buffer
	if err := seal(&buf, &h, payload, key); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rowsFormat gives a format-2 header without officers format 1, as Build
// does.
func rowsFormat(h *Header) {
	if h.Format == FormatRows && h.Officers == nil {
		h.Format = formatNoOfficers
	}
}

// A deterministic generator of realistic-looking residents of one commune
// of Hà Nội. It is meant to compress like real data: names, places and
// dates drawn from small vocabularies, IDs and house numbers varied.
var (
	familyNames = []string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng",
		"Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Đinh", "Trịnh", "Lương", "Mai"}
	maleMiddle   = []string{"Văn", "Hữu", "Đức", "Minh", "Quang", "Thành", "Công", "Xuân", "Mạnh", "Tiến"}
	femaleMiddle = []string{"Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Minh", "Phương", "Hồng", "Kim"}
	maleGiven    = []string{"An", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hùng", "Huy", "Khánh", "Long",
		"Nam", "Phong", "Quân", "Sơn", "Thắng", "Trung", "Tuấn", "Việt", "Vinh", "Hoàng"}
	femaleGiven = []string{"Anh", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hoa", "Hương", "Lan",
		"Linh", "Mai", "Nga", "Ngọc", "Nhung", "Phương", "Thảo", "Trang", "Vy", "Yến"}
	streets = []string{"Kim Liên Mới", "Đông Tác", "Phạm Ngọc Thạch", "Lương Định Của", "Xã Đàn",
		"Đào Duy Anh", "Trần Hữu Tước", "Hoàng Tích Trí"}
	provinces = []string{"Tỉnh Nam Định", "Tỉnh Thái Bình", "Tỉnh Hà Nam", "Tỉnh Ninh Bình", "Tỉnh Nghệ An",
		"Tỉnh Thanh Hóa", "Thành phố Hà Nội", "Thành phố Hà Nội", "Thành phố Hà Nội", "Tỉnh Hưng Yên"}
	ethnicities = []string{"Kinh", "Kinh", "Kinh", "Kinh", "Kinh", "Kinh", "Kinh", "Kinh", "Tày", "Mường"}
	religions   = []string{"Không", "Không", "Không", "Không", "Không", "Không", "Phật giáo", "Công giáo"}
	relations   = []string{"Chủ hộ", "Vợ", "Chồng", "Con", "Con", "Con", "Cháu", "Mẹ", "Bố"}
)

const communeSuffix = ", Phường Kim Liên, Quận Đống Đa, Thành phố Hà Nội"

func pick(r *rand.Rand, s []string) string { return s[r.IntN(len(s))] }

func personName(r *rand.Rand, female bool) string {
	if female {
		return pick(r, familyNames) + " " + pick(r, femaleMiddle) + " " + pick(r, femaleGiven)
	}
	return pick(r, familyNames) + " " + pick(r, maleMiddle) + " " + pick(r, maleGiven)
}

func date(r *rand.Rand, year int) string {
	return fmt.Sprintf("%04d-%02d-%02d", year, 1+r.IntN(12), 1+r.IntN(28))
}

// genCitizens returns n residents sorted by ID; the same n and seed give
// the same records.
func genCitizens(n int, seed uint64) []*registry.Citizen {
	r := rand.New(rand.NewPCG(seed, 0x78616e6f6465))
	recs := make([]*registry.Citizen, n)
	for i := range recs {
		female := r.IntN(2) == 0
		year := 1930 + r.IntN(95)
		// 7919 is prime to 10^6, so serials are distinct for n ≤ 10^6.
		id := registry.MakeID("001", year, female, (i*7919+13)%1000000)
		c := &registry.Citizen{ID: id, Version: uint64(1 + r.IntN(5_000_000))}
		set := func(f registry.Field, v string) { c.Values[f] = v }
		set(registry.FieldFullName, personName(r, female))
		set(registry.FieldBirthDate, date(r, year))
		set(registry.FieldSex, map[bool]string{false: registry.SexMale, true: registry.SexFemale}[female])
		set(registry.FieldNationality, "Việt Nam")
		set(registry.FieldEthnicity, pick(r, ethnicities))
		set(registry.FieldReligion, pick(r, religions))
		set(registry.FieldBirthPlace, pick(r, provinces))
		set(registry.FieldHometown, "Xã "+pick(r, maleGiven)+" "+pick(r, femaleGiven)+", "+pick(r, provinces))
		addr := fmt.Sprintf("Số %d, ngõ %d, phố %s", 1+r.IntN(120), 1+r.IntN(60), pick(r, streets)) + communeSuffix
		set(registry.FieldPermanentAddress, addr)
		if r.IntN(10) == 0 {
			addr = fmt.Sprintf("Số %d, phố %s", 1+r.IntN(200), pick(r, streets)) + communeSuffix
		}
		set(registry.FieldCurrentAddress, addr)
		set(registry.FieldCommune, testCommune)
		set(registry.FieldHousehold, fmt.Sprintf("HK%s%06d", testCommune, r.IntN(n/3+1)))
		set(registry.FieldRelation, pick(r, relations))
		set(registry.FieldFatherName, personName(r, false))
		set(registry.FieldMotherName, personName(r, true))
		if year > 1985 {
			set(registry.FieldFatherID, registry.MakeID("001", year-25-r.IntN(10), false, r.IntN(1000000)))
		}
		if year < 2010 {
			issued := 2021 + r.IntN(4)
			set(registry.FieldCardNumber, id)
			set(registry.FieldCardIssued, date(r, issued))
			set(registry.FieldCardExpiry, date(r, issued+15))
		}
		set(registry.FieldStatus, registry.StatusAlive)
		recs[i] = c
	}
	slices.SortFunc(recs, func(a, b *registry.Citizen) int { return strings.Compare(a.ID, b.ID) })
	return recs
}
