package api

import (
	"net/url"
	"strconv"
)

// The query parameters of the routes that take any. Values gives the
// query string's values; a zero field is left out.

// BundleQuery is the query of GetBundle.
type BundleQuery struct {
	Since  uint64 // the subset version held (0: none, a full bundle)
	Format int    // the newest bundle format the caller opens (0: format 2)
}

// Values implements the query.
func (q BundleQuery) Values() url.Values {
	v := url.Values{"since": {strconv.FormatUint(q.Since, 10)}}
	if q.Format != 0 {
		v.Set("format", strconv.Itoa(q.Format))
	}
	return v
}

// AuditQuery is the query of GetNodeAudit: entries after a sequence
// number, at most Limit (0 or more than 1,000: 100).
type AuditQuery struct {
	After uint64
	Limit int
}

// Values implements the query.
func (q AuditQuery) Values() url.Values {
	return url.Values{"after": {strconv.FormatUint(q.After, 10)}, "limit": {strconv.Itoa(q.Limit)}}
}

// ReportQuery is the query of GetReport and GetAdminReport.
type ReportQuery struct {
	Commune string // 5 digits
	Month   string // YYYY-MM
}

// Values implements the query.
func (q ReportQuery) Values() url.Values {
	return url.Values{"commune": {q.Commune}, "month": {q.Month}}
}

// FindingsQuery is the query of GetAdminFindings; every field narrows.
type FindingsQuery struct {
	Commune, Citizen, Rule string
	States                 []string
	Limit                  int // 0: the city's default
}

// Values implements the query.
func (q FindingsQuery) Values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"commune": q.Commune, "citizen": q.Citizen, "rule": q.Rule} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if len(q.States) > 0 {
		v["state"] = q.States
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	return v
}

// OfficersQuery is the query of GetOfficers.
type OfficersQuery struct {
	Commune string
}

// Values implements the query.
func (q OfficersQuery) Values() url.Values { return url.Values{"commune": {q.Commune}} }

// DocumentQuery is the query of GetDocument: a printed document's
// verification code.
type DocumentQuery struct {
	Code string
}

// Values implements the query.
func (q DocumentQuery) Values() url.Values { return url.Values{"code": {q.Code}} }

// UnlockQuery is the query of GetUnlockChallenge.
type UnlockQuery struct {
	Node string
}

// Values implements the query.
func (q UnlockQuery) Values() url.Values { return url.Values{"node": {q.Node}} }

// TrustETag is the ETag of a trust list version, which a caller names in
// If-None-Match to be answered 304 when it holds that version. It names
// the version, not the bytes: they differ from node to node (creation
// time), the items do not.
func TrustETag(version uint64) string { return `"trust-` + strconv.FormatUint(version, 10) + `"` }
