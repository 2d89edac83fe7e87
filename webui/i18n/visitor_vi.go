package i18n

// visitorVi: citizens of other communes served at this desk (proof of
// presence) and the administrative units of before 1 July 2025.
var visitorVi = map[string]string{
	"ident.renamed": "thẻ ghi địa danh theo đơn vị hành chính trước ngày 01/7/2025",

	"visit.title":       "Công dân nơi khác",
	"visit.badge":       "Công dân nơi khác",
	"visit.lives":       "Thường trú tại xã/phường mã %[1]s (theo hồ sơ của thành phố).",
	"visit.fromcity":    "Hồ sơ của công dân này do thành phố cung cấp sau khi xác nhận thẻ đang có mặt tại quầy (chip đã ký mã kiểm tra của thành phố). Thay đổi ghi nhận cho công dân này được thành phố quyết định như với người thường trú của xã.",
	"visit.until":       "Được phục vụ công dân này đến %[1]s.",
	"visit.fromchip":    "Chưa có hồ sơ từ thành phố: chỉ có thông tin đọc từ chip của thẻ, đã kiểm tra chữ ký số của cơ quan cấp thẻ.",
	"visit.offline":     "Máy chưa kết nối được với thành phố, nhưng vẫn ghi nhận được thay đổi: thay đổi chờ trong hàng đợi đồng bộ cùng bằng chứng thẻ có mặt (dữ liệu đã ký trên chip). Khi có kết nối, máy gửi bằng chứng trước rồi mới gửi thay đổi. Vì thành phố không xác nhận được thẻ có mặt tại quầy vào lúc nào, thay đổi sẽ chờ thành phố xem xét trước khi có hiệu lực.",
	"visit.earlier":     "Lần phục vụ trước của công dân này còn thay đổi chờ gửi cùng bằng chứng thẻ có mặt, nên lần này được ghi nhận theo cùng cách: máy gửi bằng chứng trước, và thay đổi chờ thành phố xem xét trước khi có hiệu lực.",
	"visit.noaa":        "Thẻ này không có chức năng xác thực chủ động (chip không ký được mã kiểm tra của thành phố): thành phố xác nhận thông tin trên chip là thật, nhưng không xác nhận được thẻ đang có mặt tại quầy, nên không cung cấp hồ sơ, và thay đổi ghi nhận cho công dân này sẽ chờ thành phố xem xét trước khi có hiệu lực.",
	"visit.notstored":   "Thông tin này chỉ dùng trong phiên làm việc đã đọc thẻ và không được lưu vào dữ liệu của xã.",
	"visit.differences": "Có %[1]d thông tin trên chip khác với hồ sơ của thành phố (tô vàng bên dưới). Hãy hỏi lại công dân.",
	"visit.agree":       "Thông tin trên chip khớp với hồ sơ của thành phố.",
	"visit.cityrecord":  "Hồ sơ của thành phố",
	"visit.chipsection": "%[1]s (theo chip của thẻ)",
	"visit.caption":     "Thông tin trên chip và hồ sơ của thành phố",
	"visit.open":        "Xem thông tin công dân",
	"visit.gone":        "Thông tin của công dân nơi khác chỉ được giữ trong phiên làm việc đã đọc thẻ, đến hết thời hạn thành phố cho phép. Hãy đọc lại thẻ của công dân ở trang Tra cứu.",
	"visit.movehere":    "Công dân nơi khác chỉ đăng ký thường trú ở đây khi chuyển đến xã này: mã xã phải là %[1]s.",

	"visit.problem.unverified": "Công dân này không có trong dữ liệu của xã, và chữ ký số của thông tin trên chip chưa kiểm tra được, nên chưa phục vụ được như công dân nơi khác. Hãy đọc lại thẻ; nếu vẫn vậy, báo bộ phận kỹ thuật.",
	"visit.problem.refused":    "Thành phố không xác nhận thẻ này là thẻ thật, nên chưa phục vụ được công dân như người nơi khác. Hãy kiểm tra thẻ và giấy tờ khác của công dân, và báo bộ phận CNTT của thành phố.",
	"visit.problem.unknown":    "Thành phố không có hồ sơ của công dân này. Hãy hướng dẫn công dân liên hệ cơ quan công an đã cấp thẻ.",
}
