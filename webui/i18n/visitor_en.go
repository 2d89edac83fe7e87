package i18n

// visitorEn: citizens of other communes served at this desk (proof of
// presence) and the administrative units of before 1 July 2025.
var visitorEn = map[string]string{
	"ident.renamed": "the card names the administrative units before 1 July 2025",
}
