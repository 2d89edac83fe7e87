package gen

import "sort"

// Ethnic groups and religions as the registry writes them.
const (
	ethnicKinh  = "Kinh"
	ethnicKhmer = "Khmer"
	ethnicHoa   = "Hoa"
)

// choice is a value and its relative weight.
type choice struct {
	v string
	w float64
}

// table draws values with given weights. It is built once and read only.
type table struct {
	vs  []string
	cum []float64
}

func newTable(cs ...choice) *table {
	t := &table{vs: make([]string, len(cs)), cum: make([]float64, len(cs))}
	total := 0.0
	for i, c := range cs {
		total += c.w
		t.vs[i], t.cum[i] = c.v, total
	}
	return t
}

func (t *table) pick(r *rng) string { return t.vs[t.index(r)] }

// index draws the position of a value, for tables parallel to a slice.
func (t *table) index(r *rng) int {
	x := r.float() * t.cum[len(t.cum)-1]
	return sort.SearchFloat64s(t.cum, x)
}

// Share of each group among the founders of households. Cần Thơ has about
// 2% Khmer and 1.5% Hoa; the delta around it more, hence a little more here.
var ethnicities = newTable(
	choice{ethnicKinh, 93.5},
	choice{ethnicKhmer, 4},
	choice{ethnicHoa, 2.5},
)

// Family names, in percent of the whole population. The Kinh table is
// weighted so that, mixed with the Khmer and Hoa tables by the shares above,
// the city-wide distribution matches the national one (Nguyễn ~38%, Trần
// ~11% …); in the south Huỳnh and Võ stand where the north has Hoàng and Vũ.
var familyNames = map[string]*table{
	ethnicKinh: newTable(
		choice{"Nguyễn", 38}, choice{"Trần", 11}, choice{"Lê", 9.5}, choice{"Phạm", 7},
		choice{"Huỳnh", 3.6}, choice{"Hoàng", 1.4}, choice{"Phan", 4.5}, choice{"Võ", 3},
		choice{"Vũ", 0.9}, choice{"Đặng", 2.1}, choice{"Bùi", 2}, choice{"Đỗ", 1.4},
		choice{"Hồ", 1.3}, choice{"Ngô", 1.3}, choice{"Dương", 1}, choice{"Lý", 0.3},
		choice{"Trương", 0.6}, choice{"Đinh", 0.6}, choice{"Mai", 0.5}, choice{"Cao", 0.5},
		choice{"Đoàn", 0.4}, choice{"Trịnh", 0.3}, choice{"Lưu", 0.3}, choice{"Tô", 0.3},
		choice{"Châu", 0.3}, choice{"Thái", 0.3}, choice{"Lương", 0.3}, choice{"Lâm", 0.2},
		choice{"Tạ", 0.2}, choice{"La", 0.1}, choice{"Quách", 0.1}, choice{"Diệp", 0.1}, choice{"Từ", 0.1},
	),
	ethnicKhmer: newTable(
		choice{"Thạch", 30}, choice{"Sơn", 25}, choice{"Danh", 20}, choice{"Kim", 10},
		choice{"Lâm", 6}, choice{"Lý", 5}, choice{"Châu", 4},
	),
	ethnicHoa: newTable(
		choice{"Lâm", 20}, choice{"Trương", 16}, choice{"Lý", 12}, choice{"Quách", 12},
		choice{"Châu", 10}, choice{"Mã", 8}, choice{"Tăng", 8}, choice{"Lưu", 8}, choice{"Hứa", 6},
	),
}

// Middle names. Văn and Thị were near universal for those born before the
// 1980s and have grown rarer since; compound middles (Thị Thu, Hoàng Gia)
// are common for women and for younger men.
var (
	middleMale   = []string{"Hữu", "Minh", "Thanh", "Hoàng", "Quốc", "Gia", "Bảo", "Đức", "Công", "Tấn", "Trọng", "Anh", "Nhật", "Thành", "Tuấn", "Duy", "Phước", "Chí", "Ngọc", "Kim"}
	middleFemale = []string{"Ngọc", "Thanh", "Kim", "Minh", "Bảo", "Mỹ", "Thu", "Hồng", "Phương", "Thùy", "Bích", "Diễm", "Yến", "Khánh", "Gia", "Hoài", "Tường", "Cẩm"}
	// second part of a compound middle name
	middleFemale2 = []string{"Thu", "Ngọc", "Kim", "Mỹ", "Bích", "Phương", "Hồng", "Thùy", "Kiều", "Diễm", "Tuyết"}
	middleMale2   = []string{"Gia", "Bảo", "Minh", "Anh", "Đăng", "Nhật", "Thiên", "Trung"}
)

// Given names by sex and era: the older list for those born before 1975,
// the newer one from 1995, a mix in between.
var (
	givenMaleOld = []string{"Hùng", "Dũng", "Sơn", "Hải", "Thắng", "Tâm", "Thành", "Bình", "Hòa", "Lợi",
		"Phước", "Tài", "Lộc", "Nghĩa", "Trung", "Cường", "Hưng", "Thuận", "Quang", "Vinh", "Đức", "Minh",
		"Tuấn", "Long", "Nam", "Tùng", "Dương", "Sang", "Hậu", "Nhựt", "Chiến", "Thống", "Hiệp", "Mến", "Rạng", "Út"}
	givenMaleNew = []string{"Huy", "Khoa", "Phúc", "Khang", "Bảo", "An", "Kiệt", "Đạt", "Phát", "Khôi",
		"Quân", "Nhân", "Trí", "Thịnh", "Tín", "Duy", "Khải", "Hào", "Luân", "Nguyên", "Vỹ", "Thiện", "Hiếu",
		"Tuấn", "Minh", "Long", "Nam", "Hải", "Quang", "Vinh", "Thành", "Tài", "Lộc", "Toàn", "Hoàng",
		"Phong", "Đăng", "Khánh", "Lâm", "Tú", "Hưng", "Nhật"}
	givenFemaleOld = []string{"Lan", "Hương", "Hoa", "Mai", "Hồng", "Cúc", "Lài", "Nga", "Loan", "Hằng",
		"Phượng", "Tuyết", "Xuân", "Thu", "Hạnh", "Hiền", "Dung", "Liên", "Oanh", "Lệ", "Nguyệt", "Kiều",
		"Thúy", "Trinh", "Nhung", "Yến", "Thủy", "Bích", "Sương", "Mận", "Đào", "Hà", "Út", "Năm"}
	givenFemaleNew = []string{"Vy", "Nhi", "Anh", "Châu", "Ngân", "Trâm", "Uyên", "Hân", "My", "Quyên",
		"Thư", "Như", "Tiên", "Linh", "Trang", "Thảo", "Ngọc", "Giang", "Hà", "Hương", "Yến", "Thủy",
		"Trinh", "Nhung", "Diễm", "Tâm", "Phương", "Quỳnh", "Duyên", "Hằng", "Loan", "Mai", "Lan", "Kim",
		"Hạnh", "Thy", "Tuyền", "Nhàn"}
)

// Khmer names as written in Vietnamese records: often no middle name for
// men, Thị for most women, and Khmer given names in Vietnamese spelling.
var (
	khmerMiddleMale   = []string{"", "", "", "Văn", "Minh", "Hoàng", "Thanh"}
	khmerMiddleFemale = []string{"Thị", "Thị", "Thị", ""}
	khmerGivenMale    = []string{"Sa Rinh", "Sóc", "Phol", "Sa Ron", "Chanh", "Dên", "Sang", "Thươl", "Sa Rây", "Ny", "Chên", "Út", "Hùng", "Tài", "Kha", "Sà Phên", "Mạnh", "Rươne"}
	khmerGivenFemale  = []string{"Sa Rết", "Sô Phi", "Srây Mây", "Chanh Thy", "Sa Vong", "Phia", "Sà Rươl", "Kim Loan", "Sa Ly", "Thi Da", "Mỹ Linh", "Út", "Sà Phan", "Mươl", "Sóc Khia", "Ngọc Hân"}
)

// Southern families call children by birth order (Hai is the eldest);
// older people are often registered with that as their other name.
var birthOrderNames = []string{"Hai", "Ba", "Tư", "Năm", "Sáu", "Bảy", "Tám", "Chín", "Mười", "Út"}

// Religions, in percent, by ethnic group: most Kinh in Cần Thơ declare
// none; Hòa Hảo and Cao Đài are Mekong-delta faiths; Khmer are Theravada
// Buddhists.
var religions = map[string]*table{
	ethnicKinh: newTable(
		choice{"Không", 72}, choice{"Phật giáo", 15}, choice{"Hòa Hảo", 5},
		choice{"Công giáo", 3.5}, choice{"Cao Đài", 3.5}, choice{"Tin Lành", 1},
	),
	ethnicKhmer: newTable(choice{"Phật giáo", 95}, choice{"Không", 5}),
	ethnicHoa:   newTable(choice{"Phật giáo", 55}, choice{"Không", 40}, choice{"Công giáo", 5}),
}

// Identifying characteristics as cards print them: a mole or a scar,
// its size and where it sits relative to a feature of the face.
var (
	featureKinds  = []string{"Nốt ruồi", "Nốt ruồi", "Sẹo chấm", "Sẹo"}
	featureWhere  = []string{"trên", "dưới", "trước", "sau"}
	featurePlaces = []string{"cánh mũi", "đuôi mắt", "mép", "đầu mày", "đuôi lông mày", "vành tai", "cằm", "gò má"}
	featureSides  = []string{"trái", "phải"}
)
