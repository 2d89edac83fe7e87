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
}
