package gen

import (
	"fmt"
	"strings"
)

// Commune is a ward (phường) or rural commune (xã) of TP Cần Thơ that the
// generator can populate. The names are real (as before the 2025 merger of
// administrative units); the codes are NOT: no official list can be fetched
// here, so every code is synthetic, 92xxx after the province code 092. Real
// unit codes stop near 32300, so a synthetic code can never be mistaken for a
// real one.
type Commune struct {
	Code     string // synthetic 5-digit code
	Name     string // e.g. "Phường Xuân Khánh"
	District string // e.g. "Quận Ninh Kiều"

	// slot partitions the serial numbers of personal IDs between communes,
	// so that populations generated separately never share an ID.
	slot int
	// streets of a ward, or hamlets (ấp) of a rural commune
	streets []string
}

// Rural reports whether the commune is a xã (addresses by hamlet).
func (c Commune) Rural() bool { return strings.HasPrefix(c.Name, "Xã ") }

// Place is the commune as written in addresses and birth places.
func (c Commune) Place() string { return c.Name + ", " + c.District + ", TP Cần Thơ" }

// communeSlots bounds the table: serials below birthPoolStart are split in
// this many equal ranges, one per commune.
const communeSlots = 16

var communes = []Commune{
	{"92101", "Phường Xuân Khánh", "Quận Ninh Kiều", 0, []string{"Đường 30 Tháng 4", "Đường Mậu Thân", "Đường 3 Tháng 2", "Đường Trần Văn Hoài", "Đường Nguyễn Việt Hồng", "Đường Lê Thị Hồng Gấm"}},
	{"92102", "Phường An Hòa", "Quận Ninh Kiều", 1, []string{"Đường Cách Mạng Tháng 8", "Đường Mậu Thân", "Đường Trần Quang Khải", "Đường Nguyễn Văn Cừ", "Đường Bùi Thị Xuân"}},
	{"92103", "Phường Cái Khế", "Quận Ninh Kiều", 2, []string{"Đường Trần Phú", "Đường Hai Bà Trưng", "Đường Nguyễn Trãi", "Đường Trần Văn Khéo", "Đường Lê Lợi"}},
	{"92104", "Phường An Khánh", "Quận Ninh Kiều", 3, []string{"Đường Nguyễn Văn Cừ", "Đường Nguyễn Văn Linh", "Đường Trần Hoàng Na", "Đường Lê Anh Xuân", "Đường Võ Trường Toản"}},
	{"92105", "Phường Hưng Lợi", "Quận Ninh Kiều", 4, []string{"Đường 30 Tháng 4", "Đường Nguyễn Văn Linh", "Đường Trần Ngọc Quế", "Đường Đinh Công Chánh", "Đường 3 Tháng 2"}},
	{"92106", "Phường Tân An", "Quận Ninh Kiều", 5, []string{"Đường Hai Bà Trưng", "Đường Ngô Quyền", "Đường Phan Đình Phùng", "Đường Ngô Đức Kế", "Đường Điện Biên Phủ"}},
	{"92201", "Phường Trà Nóc", "Quận Bình Thủy", 6, []string{"Đường Lê Hồng Phong", "Đường Trần Quang Diệu", "Đường Huỳnh Phan Hộ", "Đường Đặng Văn Dầy"}},
	{"92202", "Phường Long Hòa", "Quận Bình Thủy", 7, []string{"Đường Võ Văn Kiệt", "Đường Nguyễn Chí Thanh", "Đường Cách Mạng Tháng 8", "Đường Lê Văn Sô"}},
	{"92203", "Phường Bình Thủy", "Quận Bình Thủy", 8, []string{"Đường Bùi Hữu Nghĩa", "Đường Lê Hồng Phong", "Đường Cách Mạng Tháng 8", "Đường Nguyễn Viết Xuân"}},
	{"92301", "Phường Lê Bình", "Quận Cái Răng", 9, []string{"Đường Lê Bình", "Đường Trần Chiên", "Đường Nguyễn Văn Cừ", "Đường Lý Thái Tổ"}},
	{"92302", "Phường Ba Láng", "Quận Cái Răng", 10, []string{"Quốc lộ 1A", "Đường Nguyễn Văn Quy", "Đường Hàm Nghi", "Đường Trần Đại Nghĩa"}},
	{"92401", "Phường Thốt Nốt", "Quận Thốt Nốt", 11, []string{"Quốc lộ 91", "Đường Nguyễn Trọng Quyền", "Đường Lê Thị Tạo", "Đường Bùi Hữu Nghĩa"}},
	{"92501", "Phường Châu Văn Liêm", "Quận Ô Môn", 12, []string{"Quốc lộ 91", "Đường 26 Tháng 3", "Đường Trần Hưng Đạo", "Đường Kim Đồng"}},
	{"92601", "Xã Mỹ Khánh", "Huyện Phong Điền", 13, []string{"Ấp Mỹ Ái", "Ấp Mỹ Phụng", "Ấp Mỹ Long", "Ấp Mỹ Phước", "Ấp Mỹ Nhơn", "Ấp Mỹ Hòa"}},
	{"92602", "Xã Nhơn Ái", "Huyện Phong Điền", 14, []string{"Ấp Nhơn Lộc", "Ấp Nhơn Thọ", "Ấp Nhơn Bình", "Ấp Nhơn Hòa", "Ấp Nhơn Phú"}},
	{"92701", "Xã Thới Hưng", "Huyện Cờ Đỏ", 15, []string{"Ấp Thới Hòa A", "Ấp Thới Hòa B", "Ấp Thới Thạnh", "Ấp Thới Phong A", "Ấp Thới Trung"}},
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

// canThoPlaces are other communes of Cần Thơ, for birth places and
// hometowns of people from elsewhere in the city.
var canThoPlaces = []string{
	"Xã Trường Long, Huyện Phong Điền", "Xã Giai Xuân, Huyện Phong Điền", "Xã Tân Thới, Huyện Phong Điền",
	"Xã Thạnh Phú, Huyện Cờ Đỏ", "Xã Trung An, Huyện Cờ Đỏ", "Xã Đông Hiệp, Huyện Cờ Đỏ",
	"Xã Vĩnh Trinh, Huyện Vĩnh Thạnh", "Xã Thạnh Quới, Huyện Vĩnh Thạnh", "Phường Phước Thới, Quận Ô Môn",
	"Phường Thới Thuận, Quận Thốt Nốt", "Phường Hưng Phú, Quận Cái Răng", "Phường An Thới, Quận Bình Thủy",
	"Phường An Cư, Quận Ninh Kiều", "Phường Thới Bình, Quận Ninh Kiều",
}

// province is a province of birth registration other than Cần Thơ, with
// its share of the people born elsewhere (neighbours of the delta first).
type province struct {
	code   string // personal ID prefix
	weight float64
	places []string
}

var otherProvinces = []province{
	{"093", 20, []string{"Phường 5, TP Vị Thanh, Tỉnh Hậu Giang", "Xã Tân Bình, Huyện Phụng Hiệp, Tỉnh Hậu Giang", "Thị trấn Ngã Sáu, Huyện Châu Thành, Tỉnh Hậu Giang"}},
	{"086", 14, []string{"Phường 1, TP Vĩnh Long, Tỉnh Vĩnh Long", "Xã Long Phước, Huyện Long Hồ, Tỉnh Vĩnh Long", "Xã Tân Quới, Huyện Bình Tân, Tỉnh Vĩnh Long"}},
	{"094", 12, []string{"Phường 2, TP Sóc Trăng, Tỉnh Sóc Trăng", "Thị trấn Kế Sách, Huyện Kế Sách, Tỉnh Sóc Trăng", "Xã Đại Ân 1, Huyện Cù Lao Dung, Tỉnh Sóc Trăng"}},
	{"089", 12, []string{"Phường Mỹ Bình, TP Long Xuyên, Tỉnh An Giang", "Xã Vĩnh Trạch, Huyện Thoại Sơn, Tỉnh An Giang", "Thị trấn Chợ Mới, Huyện Chợ Mới, Tỉnh An Giang"}},
	{"087", 9, []string{"Phường 1, TP Cao Lãnh, Tỉnh Đồng Tháp", "Xã Tân Thạnh, Huyện Lai Vung, Tỉnh Đồng Tháp", "Phường An Hòa, TP Sa Đéc, Tỉnh Đồng Tháp"}},
	{"091", 8, []string{"Phường Vĩnh Thanh, TP Rạch Giá, Tỉnh Kiên Giang", "Xã Thạnh Lộc, Huyện Giồng Riềng, Tỉnh Kiên Giang"}},
	{"079", 8, []string{"Phường Bến Nghé, Quận 1, TP Hồ Chí Minh", "Phường 12, Quận Gò Vấp, TP Hồ Chí Minh", "Phường Linh Trung, TP Thủ Đức, TP Hồ Chí Minh"}},
	{"084", 4, []string{"Phường 7, TP Trà Vinh, Tỉnh Trà Vinh", "Xã Long Thới, Huyện Tiểu Cần, Tỉnh Trà Vinh"}},
	{"096", 3, []string{"Phường 5, TP Cà Mau, Tỉnh Cà Mau", "Xã Tân Hưng Đông, Huyện Cái Nước, Tỉnh Cà Mau"}},
	{"095", 3, []string{"Phường 3, TP Bạc Liêu, Tỉnh Bạc Liêu", "Xã Vĩnh Hưng, Huyện Vĩnh Lợi, Tỉnh Bạc Liêu"}},
	{"082", 2, []string{"Phường 6, TP Mỹ Tho, Tỉnh Tiền Giang", "Xã Long Hưng, Huyện Châu Thành, Tỉnh Tiền Giang"}},
	{"083", 2, []string{"Phường Phú Khương, TP Bến Tre, Tỉnh Bến Tre", "Xã Phước Long, Huyện Giồng Trôm, Tỉnh Bến Tre"}},
	{"080", 1, []string{"Phường 2, TP Tân An, Tỉnh Long An", "Xã Mỹ Yên, Huyện Bến Lức, Tỉnh Long An"}},
	{"001", 1, []string{"Phường Hàng Bài, Quận Hoàn Kiếm, TP Hà Nội", "Phường Dịch Vọng, Quận Cầu Giấy, TP Hà Nội"}},
	{"038", 1, []string{"Xã Hoằng Lộc, Huyện Hoằng Hóa, Tỉnh Thanh Hóa"}},
	{"040", 1, []string{"Xã Nam Giang, Huyện Nam Đàn, Tỉnh Nghệ An"}},
	{"046", 1, []string{"Phường Thuận Thành, TP Huế, Tỉnh Thừa Thiên Huế"}},
	{"048", 1, []string{"Phường Hải Châu 1, Quận Hải Châu, TP Đà Nẵng"}},
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
	"Phường Linh Trung, TP Thủ Đức, TP Hồ Chí Minh",
	"Phường 12, Quận Gò Vấp, TP Hồ Chí Minh",
	"Phường Tân Tạo, Quận Bình Tân, TP Hồ Chí Minh",
	"Phường Dĩ An, TP Dĩ An, Tỉnh Bình Dương",
	"Phường Thuận Giao, TP Thuận An, Tỉnh Bình Dương",
	"Phường An Bình, TP Biên Hòa, Tỉnh Đồng Nai",
	"Phường Xuân Khánh, Quận Ninh Kiều, TP Cần Thơ",
	"Phường Hưng Lợi, Quận Ninh Kiều, TP Cần Thơ",
}
