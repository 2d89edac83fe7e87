package quality

import "strings"

// Since 1 July 2025 Vietnam has 34 province-level units (DESIGN.md,
// "Domain model"): 6 centrally governed cities and 28 provinces, each
// divided directly into communes, wards and special zones. provincesInForce
// lists them by name as addresses write them after the type word ("Tỉnh",
// "Thành phố"/"TP").
var provincesInForce = []string{
	// cities
	"Hà Nội", "Huế", "Hải Phòng", "Đà Nẵng", "Hồ Chí Minh", "Cần Thơ",
	// provinces kept as they were
	"Lai Châu", "Điện Biên", "Sơn La", "Lạng Sơn", "Quảng Ninh", "Thanh Hóa", "Nghệ An", "Hà Tĩnh", "Cao Bằng",
	// provinces formed by the merger
	"Tuyên Quang", "Lào Cai", "Thái Nguyên", "Phú Thọ", "Bắc Ninh", "Hưng Yên", "Ninh Bình", "Quảng Trị",
	"Quảng Ngãi", "Gia Lai", "Khánh Hòa", "Lâm Đồng", "Đắk Lắk", "Đồng Nai", "Tây Ninh", "Vĩnh Long",
	"Đồng Tháp", "Cà Mau", "An Giang",
}

// provinceCodes maps the 3-digit province code of birth registration that
// opens a personal ID (the 63 provinces before the merger; the codes did
// not change) to that province's name then and the province in force it
// belongs to now.
var provinceCodes = map[string]struct{ then, now string }{
	"001": {"Hà Nội", "Hà Nội"}, "002": {"Hà Giang", "Tuyên Quang"}, "004": {"Cao Bằng", "Cao Bằng"},
	"006": {"Bắc Kạn", "Thái Nguyên"}, "008": {"Tuyên Quang", "Tuyên Quang"}, "010": {"Lào Cai", "Lào Cai"},
	"011": {"Điện Biên", "Điện Biên"}, "012": {"Lai Châu", "Lai Châu"}, "014": {"Sơn La", "Sơn La"},
	"015": {"Yên Bái", "Lào Cai"}, "017": {"Hòa Bình", "Phú Thọ"}, "019": {"Thái Nguyên", "Thái Nguyên"},
	"020": {"Lạng Sơn", "Lạng Sơn"}, "022": {"Quảng Ninh", "Quảng Ninh"}, "024": {"Bắc Giang", "Bắc Ninh"},
	"025": {"Phú Thọ", "Phú Thọ"}, "026": {"Vĩnh Phúc", "Phú Thọ"}, "027": {"Bắc Ninh", "Bắc Ninh"},
	"030": {"Hải Dương", "Hải Phòng"}, "031": {"Hải Phòng", "Hải Phòng"}, "033": {"Hưng Yên", "Hưng Yên"},
	"034": {"Thái Bình", "Hưng Yên"}, "035": {"Hà Nam", "Ninh Bình"}, "036": {"Nam Định", "Ninh Bình"},
	"037": {"Ninh Bình", "Ninh Bình"}, "038": {"Thanh Hóa", "Thanh Hóa"}, "040": {"Nghệ An", "Nghệ An"},
	"042": {"Hà Tĩnh", "Hà Tĩnh"}, "044": {"Quảng Bình", "Quảng Trị"}, "045": {"Quảng Trị", "Quảng Trị"},
	"046": {"Thừa Thiên Huế", "Huế"}, "048": {"Đà Nẵng", "Đà Nẵng"}, "049": {"Quảng Nam", "Đà Nẵng"},
	"051": {"Quảng Ngãi", "Quảng Ngãi"}, "052": {"Bình Định", "Gia Lai"}, "054": {"Phú Yên", "Đắk Lắk"},
	"056": {"Khánh Hòa", "Khánh Hòa"}, "058": {"Ninh Thuận", "Khánh Hòa"}, "060": {"Bình Thuận", "Lâm Đồng"},
	"062": {"Kon Tum", "Quảng Ngãi"}, "064": {"Gia Lai", "Gia Lai"}, "066": {"Đắk Lắk", "Đắk Lắk"},
	"067": {"Đắk Nông", "Lâm Đồng"}, "068": {"Lâm Đồng", "Lâm Đồng"}, "070": {"Bình Phước", "Đồng Nai"},
	"072": {"Tây Ninh", "Tây Ninh"}, "074": {"Bình Dương", "Hồ Chí Minh"}, "075": {"Đồng Nai", "Đồng Nai"},
	"077": {"Bà Rịa - Vũng Tàu", "Hồ Chí Minh"}, "079": {"Hồ Chí Minh", "Hồ Chí Minh"}, "080": {"Long An", "Tây Ninh"},
	"082": {"Tiền Giang", "Đồng Tháp"}, "083": {"Bến Tre", "Vĩnh Long"}, "084": {"Trà Vinh", "Vĩnh Long"},
	"086": {"Vĩnh Long", "Vĩnh Long"}, "087": {"Đồng Tháp", "Đồng Tháp"}, "089": {"An Giang", "An Giang"},
	"091": {"Kiên Giang", "An Giang"}, "092": {"Cần Thơ", "Cần Thơ"}, "093": {"Hậu Giang", "Cần Thơ"},
	"094": {"Sóc Trăng", "Cần Thơ"}, "095": {"Bạc Liêu", "Cà Mau"}, "096": {"Cà Mau", "Cà Mau"},
}

// inForce and former are keyed by folded name ("ho chi minh"): the former
// provinces map to the province in force that took them in. Folding makes
// "Thanh Hoá" and "Thanh Hóa" one name; no two provinces fold alike.
var inForce, former = func() (map[string]string, map[string]string) {
	in := make(map[string]string, len(provincesInForce))
	for _, p := range provincesInForce {
		in[fold(p)] = p
	}
	old := make(map[string]string)
	for _, c := range provinceCodes {
		if k := fold(c.then); in[k] == "" {
			old[k] = c.now
		}
	}
	old["ba ria vung tau"] = "Hồ Chí Minh"
	return in, old
}()

// Unit levels as an address names them by their type word.
type level int

const (
	levelNone     level = iota
	levelCommune        // phường, xã, đặc khu
	levelOldTown        // thị trấn: a commune-level unit the reform abolished
	levelDistrict       // quận, huyện, thị xã: the level the reform abolished
	levelProvince       // tỉnh, thành phố (a city may also be a former district-level town)
)

// typeWords are the unit type words, folded, longest first where one is a
// prefix of another, with their level. "thanh pho" is a province-level
// city when it is the address's last unit, a district-level one (a former
// provincial city such as "TP Vị Thanh") before it.
var typeWords = []struct {
	word  string
	level level
}{
	{"thanh pho ", levelProvince}, {"tp. ", levelProvince}, {"tp.", levelProvince}, {"tp ", levelProvince},
	{"tinh ", levelProvince},
	{"quan ", levelDistrict}, {"q. ", levelDistrict}, {"huyen ", levelDistrict}, {"h. ", levelDistrict},
	{"thi xa ", levelDistrict}, {"tx. ", levelDistrict}, {"tx ", levelDistrict},
	{"thi tran ", levelOldTown}, {"tt. ", levelOldTown},
	{"phuong ", levelCommune}, {"p. ", levelCommune}, {"xa ", levelCommune}, {"x. ", levelCommune},
	{"dac khu ", levelCommune},
}

// unit reads one comma-separated part of an address: its level (by type
// word) and its folded name without the type word.
func unit(part string) (level, string) {
	s := fold(part)
	for _, t := range typeWords {
		if name, ok := strings.CutPrefix(s, t.word); ok && name != "" {
			return t.level, strings.TrimSpace(name)
		}
	}
	return levelNone, s
}

// Units says which administrative units an address may name. The zero
// value knows the 34 provinces in force and checks the shape of an
// address (a commune-level unit right before the province, no district);
// Communes, when it lists a province, also requires its commune to be one
// of those listed.
type Units struct {
	// Communes maps a province in force (as in provincesInForce, e.g.
	// "Cần Thơ") to the names of its communes, wards and special zones
	// with their type word ("Phường Ninh Kiều"). Provinces not listed are
	// checked by shape only.
	Communes map[string][]string

	known map[string]map[string]bool // folded province → folded "type name" → true
}

// compile folds Communes for lookups; called once by Config.Validate.
func (u *Units) compile() {
	u.known = make(map[string]map[string]bool, len(u.Communes))
	for p, cs := range u.Communes {
		set := make(map[string]bool, len(cs))
		for _, c := range cs {
			lv, name := unit(c)
			if lv == levelCommune {
				set[name] = true
			}
		}
		u.known[fold(p)] = set
	}
}

// CheckAddress reports why an address does not name valid units in force,
// in English, or "" when it does (or is empty: a missing address is the
// required fields rule's business). The address must end with a province
// in force, preceded by a commune-level unit, with no district level
// anywhere and no unit abolished by the reform.
func (u *Units) CheckAddress(addr string) string {
	s, bad := u.addressProblem(addr)
	if !bad {
		return ""
	}
	s.Args["field"], s.Args["address"] = "address", addr
	return s.English()
}

// addressProblem is CheckAddress's reason as a statement (its Args lack
// the field and the address, which the caller adds); false when the
// address is right or empty.
func (u *Units) addressProblem(addr string) (Statement, bool) {
	if strings.TrimSpace(addr) == "" {
		return Statement{}, false
	}
	parts := strings.Split(addr, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	lv, prov := unit(parts[len(parts)-1])
	if lv != levelProvince && lv != levelNone {
		return statement("address_no_province"), true
	}
	if now, ok := former[prov]; ok {
		return statement("address_former_province", "unit", parts[len(parts)-1], "now", now), true
	}
	if _, ok := inForce[prov]; !ok {
		return statement("address_not_in_force"), true
	}
	for _, p := range parts[:len(parts)-1] {
		switch l, _ := unit(p); l {
		case levelDistrict:
			return statement("address_district", "unit", p), true
		case levelProvince:
			return statement("address_above_commune", "unit", p), true
		case levelOldTown:
			return statement("address_township", "unit", p), true
		}
	}
	if len(parts) < 2 {
		return statement("address_no_commune"), true
	}
	cl, commune := unit(parts[len(parts)-2])
	if cl != levelCommune {
		return statement("address_no_commune"), true
	}
	if set, ok := u.known[prov]; ok && !set[commune] {
		return statement("address_unknown_commune", "unit", parts[len(parts)-2], "province", inForce[prov]), true
	}
	return Statement{}, false
}

// provinceOf is the province in force an address or place ends with
// ("" when it names none): a former province counts as the one that took
// it in.
func provinceOf(place string) string {
	i := strings.LastIndexByte(place, ',')
	_, name := unit(place[i+1:])
	if p, ok := inForce[name]; ok {
		return p
	}
	return former[name]
}
