package i18n

// deskEn: the chip's face, the city link and the decisions that come back
// after review (officer UI).
var deskEn = map[string]string{
	"face.alt":        "Portrait stored in the card's chip",
	"face.caption":    "Photo from the chip: compare it with the person in front of you",
	"face.missing":    "This card's chip holds no portrait.",
	"face.jpeg2000":   "Cannot show the portrait: the chip's image is JPEG 2000, which this build cannot convert (it needs a build with -tags pcsc). Compare with the photo printed on the card.",
	"face.unreadable": "The portrait in the chip cannot be read. Compare with the photo printed on the card.",
	"face.gone":       "The portrait can be viewed only for a few minutes after the card was read. Read the card again.",
}
