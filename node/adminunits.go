package node

import (
	"strings"

	"github.com/xanode/xanode/node/gen"
	"github.com/xanode/xanode/webui"
)

// The administrative units the officer UI picks addresses from
// (webui.Units): since 1 July 2025 local government has two levels,
// province and commune (xã, phường, đặc khu), 34 provinces. The province
// codes are the ones in force since the merger; the communes are those
// this repository knows, the generator's wards and communes of TP Cần Thơ
// (synthetic codes, see node/gen). A table city IT provides replaces this
// one (the administrative reform issue); a province without communes here
// leaves the officer the free-text address.

// provinces are the 34 provinces and centrally governed cities, by code.
var provinces = []webui.Unit{
	{Code: "01", Name: "Thành phố Hà Nội"}, {Code: "04", Name: "Tỉnh Cao Bằng"}, {Code: "08", Name: "Tỉnh Tuyên Quang"},
	{Code: "11", Name: "Tỉnh Điện Biên"}, {Code: "12", Name: "Tỉnh Lai Châu"}, {Code: "14", Name: "Tỉnh Sơn La"},
	{Code: "15", Name: "Tỉnh Lào Cai"}, {Code: "19", Name: "Tỉnh Thái Nguyên"}, {Code: "20", Name: "Tỉnh Lạng Sơn"},
	{Code: "22", Name: "Tỉnh Quảng Ninh"}, {Code: "24", Name: "Tỉnh Bắc Ninh"}, {Code: "25", Name: "Tỉnh Phú Thọ"},
	{Code: "31", Name: "Thành phố Hải Phòng"}, {Code: "33", Name: "Tỉnh Hưng Yên"}, {Code: "37", Name: "Tỉnh Ninh Bình"},
	{Code: "38", Name: "Tỉnh Thanh Hóa"}, {Code: "40", Name: "Tỉnh Nghệ An"}, {Code: "42", Name: "Tỉnh Hà Tĩnh"},
	{Code: "44", Name: "Tỉnh Quảng Trị"}, {Code: "46", Name: "Thành phố Huế"}, {Code: "48", Name: "Thành phố Đà Nẵng"},
	{Code: "51", Name: "Tỉnh Quảng Ngãi"}, {Code: "52", Name: "Tỉnh Gia Lai"}, {Code: "56", Name: "Tỉnh Khánh Hòa"},
	{Code: "66", Name: "Tỉnh Đắk Lắk"}, {Code: "68", Name: "Tỉnh Lâm Đồng"}, {Code: "75", Name: "Tỉnh Đồng Nai"},
	{Code: "79", Name: "Thành phố Hồ Chí Minh"}, {Code: "80", Name: "Tỉnh Tây Ninh"}, {Code: "82", Name: "Tỉnh Đồng Tháp"},
	{Code: "86", Name: "Tỉnh Vĩnh Long"}, {Code: "91", Name: "Tỉnh An Giang"}, {Code: "92", Name: "Thành phố Cần Thơ"},
	{Code: "96", Name: "Tỉnh Cà Mau"},
}

// adminUnits serves the tables above.
type adminUnits struct{}

func (adminUnits) Provinces() []webui.Unit { return provinces }

// Communes lists a province's communes; the generator's codes begin with
// the province's.
func (adminUnits) Communes(province string) []webui.Unit {
	var out []webui.Unit
	for _, c := range gen.Communes() {
		if strings.HasPrefix(c.Code, province) && len(province) == 2 {
			out = append(out, webui.Unit{Code: c.Code, Name: c.Name})
		}
	}
	return out
}
