// Package registry is the population-data domain model shared by every role:
// the citizen record with per-field provenance, the 12-digit personal ID
// rules, dates, change operations and their validation, and the canonical
// binary encoding (the same record or change always gives the same bytes,
// which is what signatures, digests and raft replicas rely on).
//
// It imports nothing of xanode's own: sync, webui and node build on it.
package registry
