package i18n

// visitorEn: citizens of other communes served at this desk (proof of
// presence) and the administrative units of before 1 July 2025.
var visitorEn = map[string]string{
	"ident.renamed": "the card names the administrative units before 1 July 2025",

	"visit.title":       "Citizen of another commune",
	"visit.badge":       "Citizen of another commune",
	"visit.lives":       "Permanent residence in commune %[1]s (by the city's record).",
	"visit.fromcity":    "This citizen's record comes from the city, which confirmed that the card is at this desk (the chip signed the city's challenge). Changes recorded for this citizen are decided by the city as for a resident of the commune.",
	"visit.until":       "This office may serve the citizen until %[1]s.",
	"visit.fromchip":    "No record from the city: only what the card's chip says, its digital signature checked.",
	"visit.offline":     "This box cannot reach the city, but changes can still be recorded: they wait in the sync queue with the proof that the card was here (the chip's signed data). Once connected, the box sends the proof first, then the changes. The city cannot confirm when the card was at the desk, so the changes wait for the city's review before they take effect.",
	"visit.earlier":     "Changes from an earlier visit of this citizen still wait to be sent with their proof of presence, so this visit is recorded the same way: the box sends the proof first, and the changes wait for the city's review before they take effect.",
	"visit.noaa":        "This card has no active authentication (its chip cannot sign the city's challenge): the city confirms that the chip's data are genuine, not that the card is at this desk, so it releases no record, and changes recorded for this citizen wait for the city's review before they take effect.",
	"visit.notstored":   "This information is used only in the session that read the card and is never stored in the commune's data.",
	"visit.differences": "%[1]d items on the chip differ from the city's record (highlighted below). Ask the citizen again.",
	"visit.agree":       "The chip agrees with the city's record.",
	"visit.cityrecord":  "City's record",
	"visit.chipsection": "%[1]s (from the card's chip)",
	"visit.caption":     "The chip and the city's record",
	"visit.open":        "View the citizen",
	"visit.gone":        "A citizen of another commune is kept only in the session that read the card, until the time the city allowed ends. Read the citizen's card again on the Lookup page.",
	"visit.movehere":    "A citizen of another commune registers permanent residence here only by moving into this commune: the commune code must be %[1]s.",

	"visit.problem.unverified": "This citizen is not in the commune's data, and the chip's digital signature could not be checked, so they cannot be served as a citizen of another commune yet. Read the card again; if it persists, call technical support.",
	"visit.problem.refused":    "The city does not accept this card as genuine, so the citizen cannot be served as a citizen of another commune. Check the card and the citizen's other documents, and tell city IT.",
	"visit.problem.unknown":    "The city has no record of this citizen. Refer them to the police office that issued the card.",
}
