// Package node assembles xanode's roles — city node, edge node and the
// all-in-one demo — from the packages that do the work, and owns their
// configuration, start-up and shutdown order. It is the only package that
// imports everything; see DESIGN.md beside it for why it is shaped so.
package node
