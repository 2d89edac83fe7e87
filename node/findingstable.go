package node

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/xanode/xanode/sync/fsm"
)

// WriteFindings writes data-quality findings as a table for a terminal
// (xanode fleet findings): ID, rule, state, commune, the citizen and the
// other record of a pair (or the household), when it was found in
// Vietnam's time, and the evidence in English (DESIGN.md, "Data quality").
func WriteFindings(w io.Writer, fs []fsm.Finding) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tRULE\tSTATE\tCOMMUNE\tCITIZEN\tOTHER\tFOUND\tEVIDENCE")
	for _, x := range fs {
		other := x.Other
		if other == "" {
			other = x.Household
		}
		if other == "" {
			other = "-"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", x.ID, oneLine(string(x.Rule)), oneLine(x.State), oneLine(x.Commune),
			oneLine(x.Citizen), oneLine(other), x.Found.In(vietnam).Format("2006-01-02 15:04"), oneLine(x.Evidence.English()))
	}
	return tw.Flush()
}

// oneLine keeps a value on its table row: tabs, line breaks and other
// control characters become spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}
