package gen

import (
	"fmt"
	"strings"
)

// Commune is a ward (phường) or rural commune (xã) of TP Cần Thơ that the
// generator can populate. Since the reform of 1 July 2025 local
// government has two levels (DESIGN.md, "Domain model"): a commune belongs
// to its province directly, and TP Cần Thơ took in the former Hậu Giang
// and Sóc Trăng provinces. The names are the real units in force; the
// codes are NOT: no official list can be fetched here, so every code is
// synthetic, 92xxx after the province code 092. Real unit codes stop near
// 32300, so a synthetic code can never be mistaken for a real one.
type Commune struct {
	Code string // synthetic 5-digit code
	Name string // e.g. "Phường Ninh Kiều"
	// Former are the units before the reform that make up most of this
	// one, as written then ("Phường Xuân Khánh, Quận Ninh Kiều, TP Cần
	// Thơ"): what cards issued before 1 July 2025 carry. Empty when not
	// recorded here.
	Former []string

	// slot partitions the serial numbers of personal IDs between communes,
	// so that populations generated separately never share an ID.
	slot int
	// streets of a ward, or hamlets (ấp) of a rural commune
	streets []string
}

// Province is the province every generated commune belongs to.
const Province = "TP Cần Thơ"

// Rural reports whether the commune is a xã (addresses by hamlet).
func (c Commune) Rural() bool { return strings.HasPrefix(c.Name, "Xã ") }

// Place is the commune as written in addresses and birth places: the
// commune and its province, with no district.
func (c Commune) Place() string { return c.Name + ", " + Province }

// communeSlots bounds the table: serials below birthPoolStart are split in
// this many equal ranges, one per commune.
const communeSlots = 16

// ninhKieu and its neighbours are written in full for the Former lists.
const (
	ninhKieu  = ", Quận Ninh Kiều, TP Cần Thơ"
	binhThuy  = ", Quận Bình Thủy, TP Cần Thơ"
	caiRang   = ", Quận Cái Răng, TP Cần Thơ"
	phongDien = ", Huyện Phong Điền, TP Cần Thơ"
	socTrang  = ", TP Sóc Trăng, Tỉnh Sóc Trăng"
)

var communes = []Commune{
	{"92101", "Phường Ninh Kiều", []string{"Phường Xuân Khánh" + ninhKieu, "Phường Tân An" + ninhKieu, "Phường Thới Bình" + ninhKieu}, 0,
		[]string{"Đường 30 Tháng 4", "Đường Mậu Thân", "Đường 3 Tháng 2", "Đường Trần Văn Hoài", "Đường Hai Bà Trưng", "Đường Ngô Quyền", "Đường Phan Đình Phùng"}},
	{"92102", "Phường Cái Khế", []string{"Phường An Hòa" + ninhKieu, "Phường Cái Khế" + ninhKieu}, 1,
		[]string{"Đường Cách Mạng Tháng 8", "Đường Trần Quang Khải", "Đường Trần Phú", "Đường Nguyễn Trãi", "Đường Bùi Thị Xuân", "Đường Lê Lợi"}},
	{"92103", "Phường Tân An", []string{"Phường An Khánh" + ninhKieu, "Phường Hưng Lợi" + ninhKieu}, 2,
		[]string{"Đường Nguyễn Văn Cừ", "Đường Nguyễn Văn Linh", "Đường Trần Hoàng Na", "Đường Trần Ngọc Quế", "Đường Đinh Công Chánh"}},
	{"92104", "Phường An Bình", []string{"Phường An Bình" + ninhKieu, "Xã Mỹ Khánh" + phongDien}, 3,
		[]string{"Đường Nguyễn Văn Cừ", "Đường Lộ Vòng Cung", "Đường Võ Trường Toản", "Đường Lê Anh Xuân"}},
	{"92105", "Phường Bình Thủy", []string{"Phường Bình Thủy" + binhThuy, "Phường An Thới" + binhThuy}, 4,
		[]string{"Đường Bùi Hữu Nghĩa", "Đường Lê Hồng Phong", "Đường Cách Mạng Tháng 8", "Đường Nguyễn Viết Xuân"}},
	{"92106", "Phường Long Tuyền", []string{"Phường Long Tuyền" + binhThuy, "Phường Long Hòa" + binhThuy}, 5,
		[]string{"Đường Võ Văn Kiệt", "Đường Nguyễn Chí Thanh", "Đường Lê Văn Sô", "Đường Cách Mạng Tháng 8"}},
	{"92201", "Phường Thới An Đông", []string{"Phường Trà Nóc" + binhThuy, "Phường Trà An" + binhThuy, "Phường Thới An Đông" + binhThuy}, 6,
		[]string{"Đường Lê Hồng Phong", "Đường Trần Quang Diệu", "Đường Huỳnh Phan Hộ", "Đường Đặng Văn Dầy"}},
	{"92202", "Phường Cái Răng", []string{"Phường Lê Bình" + caiRang, "Phường Ba Láng" + caiRang, "Phường Hưng Thạnh" + caiRang, "Phường Thường Thạnh" + caiRang}, 7,
		[]string{"Đường Lê Bình", "Đường Trần Chiên", "Quốc lộ 1A", "Đường Hàm Nghi", "Đường Trần Đại Nghĩa"}},
	{"92203", "Phường Hưng Phú", []string{"Phường Hưng Phú" + caiRang, "Phường Phú Thứ" + caiRang, "Phường Tân Phú" + caiRang}, 8,
		[]string{"Đường Quang Trung", "Đường Võ Nguyên Giáp", "Đường Nguyễn Văn Quy", "Đường Trần Hưng Đạo"}},
	{"92301", "Phường Ô Môn", nil, 9, []string{"Quốc lộ 91", "Đường 26 Tháng 3", "Đường Trần Hưng Đạo", "Đường Kim Đồng"}},
	{"92302", "Phường Thốt Nốt", nil, 10, []string{"Quốc lộ 91", "Đường Nguyễn Trọng Quyền", "Đường Lê Thị Tạo", "Đường Bùi Hữu Nghĩa"}},
	{"92401", "Phường Sóc Trăng", []string{"Phường 5" + socTrang, "Phường 6" + socTrang, "Phường 7" + socTrang, "Phường 8" + socTrang}, 11,
		[]string{"Đường Hùng Vương", "Đường Trần Hưng Đạo", "Đường Lê Hồng Phong", "Đường Phú Lợi"}},
	{"92501", "Phường Phú Lợi", []string{"Phường 1" + socTrang, "Phường 2" + socTrang, "Phường 3" + socTrang, "Phường 4" + socTrang}, 12,
		[]string{"Đường Tôn Đức Thắng", "Đường Lý Thường Kiệt", "Đường Nguyễn Văn Linh", "Đường Trần Văn Sắc"}},
	{"92601", "Xã Nhơn Ái", []string{"Xã Nhơn Ái" + phongDien, "Xã Nhơn Nghĩa" + phongDien}, 13,
		[]string{"Ấp Nhơn Lộc", "Ấp Nhơn Thọ", "Ấp Nhơn Bình", "Ấp Nhơn Hòa", "Ấp Nhơn Phú"}},
	{"92602", "Xã Phong Điền", nil, 14, []string{"Ấp Nhơn Lộc 1", "Ấp Nhơn Lộc 2", "Ấp Thị Tứ", "Ấp Tân Lợi"}},
	{"92701", "Xã Thới Lai", nil, 15, []string{"Ấp Thới Hòa A", "Ấp Thới Hòa B", "Ấp Thới Thạnh", "Ấp Thới Phong A", "Ấp Thới Trung"}},
}

// Communes lists the communes the generator knows, in code order.
func Communes() []Commune {
	out := make([]Commune, len(communes))
	copy(out, communes)
	return out
}

// CommuneName returns the name of a known commune, e.g. "Phường Xuân Khánh".
func CommuneName(code string) (string, error) {
	c, err := lookupCommune(code)
	if err != nil {
		return "", err
	}
	return c.Name, nil
}

func lookupCommune(code string) (*Commune, error) {
	for i := range communes {
		if communes[i].Code == code {
			return &communes[i], nil
		}
	}
	known := make([]string, len(communes))
	for i, c := range communes {
		known[i] = c.Code + " " + c.Name
	}
	return nil, fmt.Errorf("%w: unknown commune code %q; the known (synthetic) codes are: %s",
		ErrOptions, code, strings.Join(known, ", "))
}

// canThoPlaces are other communes of TP Cần Thơ (within its borders since
// the reform), for birth places and hometowns of people from elsewhere in
// the city.
var canThoPlaces = []string{
	"Xã Trường Long Tây", "Xã Thới Lai", "Xã Cờ Đỏ", "Xã Đông Hiệp", "Xã Vĩnh Thạnh", "Xã Thạnh Quới",
	"Phường Phước Thới", "Phường Thuận Hưng", "Phường Long Tuyền", "Phường Hưng Phú", "Phường Vị Thanh",
	"Phường Ngã Bảy", "Xã Kế Sách", "Phường Vĩnh Châu",
}

// province is a province of birth registration other than Cần Thơ, with
// its share of the people born elsewhere (neighbours of the delta first).
// code is the prefix of personal IDs registered there, which the reform
// did not change; places are written in the units in force.
type province struct {
	code   string // personal ID prefix
	weight float64
	places []string
}

var otherProvinces = []province{
	{"093", 20, []string{"Phường Vị Thanh, TP Cần Thơ", "Xã Phụng Hiệp, TP Cần Thơ", "Phường Ngã Bảy, TP Cần Thơ"}}, // Hậu Giang before 2025
	{"086", 14, []string{"Phường Thanh Đức, Tỉnh Vĩnh Long", "Phường Long Châu, Tỉnh Vĩnh Long", "Xã Long Hồ, Tỉnh Vĩnh Long"}},
	{"094", 12, []string{"Phường Sóc Trăng, TP Cần Thơ", "Xã Kế Sách, TP Cần Thơ", "Phường Vĩnh Châu, TP Cần Thơ"}}, // Sóc Trăng before 2025
	{"089", 12, []string{"Phường Long Xuyên, Tỉnh An Giang", "Phường Châu Đốc, Tỉnh An Giang", "Xã Chợ Vàm, Tỉnh An Giang"}},
	{"087", 9, []string{"Phường Cao Lãnh, Tỉnh Đồng Tháp", "Phường Sa Đéc, Tỉnh Đồng Tháp"}},
	{"091", 8, []string{"Phường Rạch Giá, Tỉnh An Giang"}}, // Kiên Giang before 2025
	{"079", 8, []string{"Phường Sài Gòn, TP Hồ Chí Minh", "Phường Bến Thành, TP Hồ Chí Minh", "Phường Tân Định, TP Hồ Chí Minh"}},
	{"084", 4, []string{"Phường Trà Vinh, Tỉnh Vĩnh Long", "Phường Nguyệt Hóa, Tỉnh Vĩnh Long"}}, // Trà Vinh before 2025
	{"096", 3, []string{"Phường An Xuyên, Tỉnh Cà Mau"}},
	{"095", 3, []string{"Phường Bạc Liêu, Tỉnh Cà Mau"}},   // Bạc Liêu before 2025
	{"082", 2, []string{"Phường Mỹ Tho, Tỉnh Đồng Tháp"}},  // Tiền Giang before 2025
	{"083", 2, []string{"Phường Bến Tre, Tỉnh Vĩnh Long"}}, // Bến Tre before 2025
	{"080", 1, []string{"Phường Long An, Tỉnh Tây Ninh"}},  // Long An before 2025
	{"001", 1, []string{"Phường Hoàn Kiếm, TP Hà Nội", "Phường Cầu Giấy, TP Hà Nội"}},
	{"038", 1, []string{"Phường Hạc Thành, Tỉnh Thanh Hóa"}},
	{"040", 1, []string{"Phường Trường Vinh, Tỉnh Nghệ An"}},
	{"046", 1, []string{"Phường Thuận Hóa, TP Huế"}},
	{"048", 1, []string{"Phường Hải Châu, TP Đà Nẵng"}},
}

// provinceTable draws an index into otherProvinces by weight.
var provinceTable = func() *table {
	cs := make([]choice, len(otherProvinces))
	for i, p := range otherProvinces {
		cs[i] = choice{p.code, p.weight}
	}
	return newTable(cs...)
}()

// temporaryPlaces are where young adults of the delta most often register
// temporary residence: the industrial parks around Hồ Chí Minh City, and
// the university wards of Cần Thơ itself.
var temporaryPlaces = []string{
	"Phường Linh Xuân, TP Hồ Chí Minh",
	"Phường An Nhơn, TP Hồ Chí Minh",
	"Phường Tân Tạo, TP Hồ Chí Minh",
	"Phường Dĩ An, TP Hồ Chí Minh",
	"Phường Thuận Giao, TP Hồ Chí Minh",
	"Phường Biên Hòa, Tỉnh Đồng Nai",
	"Phường Ninh Kiều, TP Cần Thơ",
	"Phường Tân An, TP Cần Thơ",
}
