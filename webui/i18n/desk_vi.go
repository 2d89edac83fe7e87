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

	"review.title":         "Kiểm tra trước khi gửi: %[1]s",
	"review.heading":       "Kiểm tra trước khi gửi: %[1]s",
	"review.hint":          "Thay đổi CHƯA được ghi nhận. Hãy đọc lại từng dòng với công dân; nếu đúng, bấm “Xác nhận và ghi nhận”, nếu sai, bấm “Sửa lại”.",
	"review.what":          "Sẽ ghi nhận",
	"review.next":          "Tiếp tục: kiểm tra lại",
	"review.confirm":       "Xác nhận và ghi nhận",
	"review.edit":          "Sửa lại",
	"review.grave":         "Tôi xác nhận đã kiểm tra giấy báo tử (hoặc giấy tờ thay thế) và công dân này đã mất.",
	"review.grave.hint":    "Khai tử khóa hồ sơ công dân; chỉ thành phố mới sửa lại được nếu ghi nhầm.",
	"review.grave.missing": "Hãy đánh dấu ô xác nhận trước khi ghi nhận khai tử.",

	"field.temporary_from":  "Tạm trú từ ngày",
	"field.residence_basis": "Cơ sở cư trú",
	"field.owner_consent":   "Ý kiến chủ sở hữu chỗ ở",
	"basis.own":             "Nhà riêng (của công dân)",
	"basis.rent":            "Thuê",
	"basis.borrow":          "Mượn",
	"basis.lodge":           "Ở nhờ",
	"basis.other":           "Khác (ký túc xá, nhà tập thể…)",
	"consent.agreed":        "Chủ sở hữu (hoặc chủ hộ) đã đồng ý bằng văn bản",
	"consent.owner":         "Công dân là chủ sở hữu, không cần",
	"hint.basis":            "Chỗ ở hợp pháp mà công dân đăng ký tạm trú thuộc loại nào (có giấy tờ chứng minh).",
	"hint.consent":          "Bắt buộc khi thuê, mượn, ở nhờ: chủ sở hữu phải đồng ý (Luật Cư trú, Điều 28).",
	"form.consent":          "Chỗ ở thuê, mượn hoặc ở nhờ cần ý kiến đồng ý của chủ sở hữu. Hãy chọn “đã đồng ý bằng văn bản” sau khi xem giấy tờ.",
	"form.until.before":     "Ngày hết hạn phải sau ngày bắt đầu tạm trú (%[1]s).",
	"form.date.old":         "Ngày bắt đầu không được trước %[1]s (quá một năm). Hãy kiểm tra lại.",
	"form.date.ahead":       "Ngày bắt đầu không được sau hơn %[1]d ngày kể từ hôm nay (%[2]s).",

	"ident.heading.qr":     "Kết quả quét mã QR",
	"ident.caption.qr":     "Thông tin in trên mã QR và dữ liệu của xã",
	"ident.qr":             "Trên mã QR",
	"ident.differences.qr": "Có %[1]d thông tin trên mã QR khác với dữ liệu của xã (tô vàng bên dưới). Mã QR chỉ là thông tin in trên thẻ: hãy hỏi lại công dân, đọc chip nếu có thể.",
	"ident.agree.qr":       "Thông tin trên mã QR khớp với dữ liệu của xã (mã QR không có chữ ký điện tử).",

	"outbox.all.show": "Hiện cả lượt đọc thẻ, quét mã QR (đang ẩn)",
	"outbox.all.hide": "Ẩn lượt đọc thẻ, quét mã QR",

	"citizen.rare":      "Thao tác ít dùng: đính chính, khai tử (cán bộ phụ trách)",
	"citizen.rare.hint": "Các thao tác này sửa thông tin nhân thân hoặc khóa hồ sơ; chỉ cán bộ phụ trách được ghi nhận, và phải xác nhận trước khi gửi.",
}
