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

	"link.on":         "Connected to the city",
	"link.never":      "Never reached the city yet",
	"link.off":        "Not connected to the city · last contact %[1]s ago",
	"offline.message": "The city cannot be reached: changes are saved safely on this machine and will be sent by themselves once the connection is back.",
	"offline.pending": "Waiting to be sent: %[1]s changes.",
	"held.message":    "The city holds this office's changes until %[1]s, as this machine sent more than its hourly limit: they are saved safely on this machine and will be sent by themselves then.",
	"offline.detail":  "Technical detail (for IT staff)",

	"notice.applied":    "The city reviewed and accepted the %[1]s of %[2]s (recorded %[3]s). %[4]s",
	"notice.rejected":   "The city reviewed and did not accept the %[1]s of %[2]s (recorded %[3]s). Reason: %[4]s",
	"notice.open":       "Open",
	"notice.dismiss":    "Seen",
	"notice.failed":     "The notice could not be marked as seen. Please try again.",
	"decision.badge":    "After review",
	"decision.applied":  "The city reviewed this change and accepted it. %[1]s",
	"decision.rejected": "The city reviewed this change and did not accept it, so nothing was applied. Reason: %[1]s",

	"birth.waiting.title": "Waiting for the personal ID",
	"birth.waiting":       "The child registered under the provisional number %[1]s has no personal ID from the city yet. It will show on the sync page once the city decides.",
}
