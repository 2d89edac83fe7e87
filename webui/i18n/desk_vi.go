package i18n

// deskVi holds the Vietnamese texts of the officer's desk work: search by
// parts of names, the change forms (review, temporary residence, address
// picker, password) and the monthly report.
var deskVi = map[string]string{
	"search.short":        "Hãy gõ ít nhất một từ có từ 2 chữ cái trở lên của họ tên (ví dụ: “ng v tu” được, “n v t” thì không).",
	"search.many":         "Có %[1]s người có họ tên khớp với “%[2]s”, quá nhiều để liệt kê. Hãy nhập năm sinh (hoặc ngày sinh) để thu hẹp, hoặc ghi đủ họ tên.",
	"search.best":         "Chỉ hiện %[1]d người khớp nhất trong %[2]s người có họ tên khớp. Hãy nhập năm sinh để xem những người còn lại.",
	"search.none.name":    "Không tìm thấy công dân nào có họ tên khớp với “%[1]s” trong dữ liệu của xã. Hãy kiểm tra lại chính tả; công dân có thể thường trú ở xã khác.",
	"search.match.exact":  "Trùng họ tên",
	"search.match.words":  "Đủ các từ",
	"search.match.prefix": "Khớp một phần",
	"search.match":        "Mức khớp",
	"search.othername":    "theo tên gọi khác: %[1]s",
	"search.birth.hint":   "Không bắt buộc. Nên có khi nhiều người trùng tên; năm sinh lệch 1–2 năm vẫn được tìm thấy.",
}
