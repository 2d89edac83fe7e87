package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/xanode/xanode/node"
	"github.com/xanode/xanode/sync/api"
)

const findingsUsage = `usage: xanode fleet --city URL --pki DIR findings [--commune C] [--citizen ID] [--rule R] [--state S]… [--limit N]
       xanode fleet --city URL --pki DIR finding ID confirm|dismiss|reopen REASON
       xanode fleet --city URL --pki DIR finding ID merge KEEP_ID REASON`

// fleetFindings lists data-quality findings, or records city IT's
// decision on one (DESIGN.md, "Data quality").
func fleetFindings(ctx context.Context, cityURL, pkiDir string, args []string) error {
	q, r, err := parseFindings(args, os.Stderr)
	if err != nil {
		return err
	}
	city, err := adminCity(pkiDir, cityURL)
	if err != nil {
		return err
	}
	defer city.Close()
	if q != nil {
		list, err := city.Findings(ctx, *q)
		if err != nil {
			return err
		}
		return node.WriteFindings(os.Stdout, list)
	}
	f, err := city.ReviewFinding(ctx, *r)
	if err != nil {
		return err
	}
	for _, ref := range f.Referrers {
		fmt.Fprintf(os.Stderr, "%s of %s now names %s\n", ref.Field, ref.Citizen, r.Keep)
	}
	printJSON(f)
	return nil
}

// parseFindings reads "findings [flags]" as a query, or "finding ID
// ACTION [KEEP_ID] REASON" as a decision; errUsage after saying how to
// stderr.
func parseFindings(args []string, stderr io.Writer) (*api.FindingsQuery, *api.FindingReview, error) {
	usage := func() (*api.FindingsQuery, *api.FindingReview, error) {
		fmt.Fprintln(stderr, findingsUsage)
		return nil, nil, errUsage
	}
	if len(args) == 0 {
		return usage()
	}
	if args[0] == "findings" {
		fs := flag.NewFlagSet("fleet findings", flag.ContinueOnError)
		fs.SetOutput(stderr)
		q := &api.FindingsQuery{}
		fs.StringVar(&q.Commune, "commune", "", "only findings about this commune's residents")
		fs.StringVar(&q.Citizen, "citizen", "", "only findings about this citizen")
		fs.StringVar(&q.Rule, "rule", "", "only this rule's findings (e.g. duplicate, id_sex)")
		var states stringsFlag
		fs.Var(&states, "state", "only findings in this `state`: open, confirmed, fixed or dismissed; repeatable (default: every state)")
		fs.IntVar(&q.Limit, "limit", 100, "at most this many, problems first")
		if err := fs.Parse(args[1:]); err != nil || fs.NArg() != 0 || q.Limit < 1 {
			return usage()
		}
		q.States = states
		return q, nil, nil
	}
	r := &api.FindingReview{}
	switch {
	case args[0] != "finding":
		return usage()
	case len(args) == 4 && (args[2] == "confirm" || args[2] == "dismiss" || args[2] == "reopen"):
		r.Action, r.Reason = args[2], args[3]
	case len(args) == 5 && args[2] == "merge":
		r.Action, r.Keep, r.Reason = args[2], args[3], args[4]
	default:
		return usage()
	}
	id, err := strconv.ParseUint(args[1], 10, 64)
	if err != nil || id == 0 {
		fmt.Fprintf(stderr, "%q is not a finding's number\n", args[1])
		return usage()
	}
	if r.Reason == "" {
		fmt.Fprintln(stderr, "a decision on a finding needs a reason")
		return usage()
	}
	r.ID = id
	return nil, r, nil
}
