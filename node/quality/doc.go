// Package quality holds the data-quality rules of the population registry
// (DESIGN.md, "Data quality"): each rule a small, pure function of a
// citizen record, the records it names (parents, household, look-alikes)
// and a reference date, that returns findings — structured statements
// that something in the registry is wrong, missing, duplicated or stale.
//
// The rules are the same everywhere they run: the city's state machine
// runs them on every change it applies (for the citizens the change
// touches) and on its periodic sweep, and `xanode bench quality` runs them
// over a generated population with known defects to measure them. So
// they read no clock and no randomness: the caller passes the date to
// judge by (the raft entry's time at the city), and equal inputs give
// equal findings, in the same order.
//
// The package imports nothing of the project but node/registry.
package quality
