package main

import (
	"net/http"

	"github.com/xanode/xanode/node"
	"github.com/xanode/xanode/node/edge"
)

// demoUI builds the officer UI of the demo's edge.
func demoUI(d *node.Demo, e *edge.Edge, st *edge.Store) (http.Handler, error) {
	return edgeUI(e, st)
}

// edgeUI builds the officer UI of an edge.
func edgeUI(e *edge.Edge, st *edge.Store) (http.Handler, error) {
	return http.NotFoundHandler(), nil
}
