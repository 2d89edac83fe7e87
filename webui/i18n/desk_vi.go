package i18n

// deskVi: the chip's face, the city link and the decisions that come back
// after review (officer UI).
var deskVi = map[string]string{
	"face.alt":        "Ảnh chân dung lưu trong chip của thẻ",
	"face.caption":    "Ảnh trong chip: hãy so với người đang đứng trước mặt",
	"face.missing":    "Chip của thẻ này không có ảnh chân dung.",
	"face.jpeg2000":   "Không hiển thị được ảnh chân dung: ảnh trong chip ở định dạng JPEG 2000 mà bản phần mềm này chưa hỗ trợ (cần bản dựng với -tags pcsc). Hãy so với ảnh in trên thẻ.",
	"face.unreadable": "Không đọc được ảnh chân dung trong chip. Hãy so với ảnh in trên thẻ.",
	"face.gone":       "Ảnh chân dung chỉ xem được trong ít phút sau khi đọc thẻ. Hãy đọc lại thẻ.",

	"link.on":         "Đã kết nối với thành phố",
	"link.never":      "Chưa kết nối được với thành phố lần nào",
	"link.off":        "Mất kết nối với thành phố · lần cuối %[1]s trước",
	"offline.message": "Chưa kết nối được với thành phố: các thay đổi đã được lưu an toàn trên máy và sẽ tự gửi khi có kết nối.",
	"offline.pending": "Đang chờ gửi: %[1]s thay đổi.",
	"held.message":    "Thành phố tạm ngừng nhận thay đổi của văn phòng đến %[1]s vì máy đã gửi quá mức cho phép trong một giờ: các thay đổi vẫn được lưu an toàn trên máy và sẽ tự gửi lúc đó.",
	"offline.detail":  "Chi tiết kỹ thuật (cho bộ phận CNTT)",

	"notice.applied":    "Thành phố đã xem xét và chấp nhận %[1]s của %[2]s (ghi lúc %[3]s). %[4]s",
	"notice.rejected":   "Thành phố đã xem xét và không chấp nhận %[1]s của %[2]s (ghi lúc %[3]s). Lý do: %[4]s",
	"notice.open":       "Xem",
	"notice.dismiss":    "Đã xem",
	"notice.failed":     "Chưa đánh dấu được thông báo là đã xem. Hãy thử lại.",
	"decision.badge":    "Sau xem xét",
	"decision.applied":  "Thành phố đã xem xét và chấp nhận thay đổi này. %[1]s",
	"decision.rejected": "Thành phố đã xem xét và không chấp nhận thay đổi này, nên không có gì được áp dụng. Lý do: %[1]s",

	"birth.waiting.title": "Đang chờ số định danh",
	"birth.waiting":       "Trẻ được đăng ký khai sinh với số tạm %[1]s chưa được thành phố cấp số định danh. Số sẽ hiện ở mục “Đồng bộ” khi thành phố quyết định.",
}
