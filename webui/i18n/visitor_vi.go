package i18n

// visitorVi: citizens of other communes served at this desk (proof of
// presence) and the administrative units of before 1 July 2025.
var visitorVi = map[string]string{
	"ident.renamed": "thẻ ghi địa danh theo đơn vị hành chính trước ngày 01/7/2025",
}
