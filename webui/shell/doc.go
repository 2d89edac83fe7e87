// Package shell is the plumbing both web UIs share (DESIGN.md, "Web UI"):
// the security headers and the one Content-Security-Policy, language
// handling (the ?lang= switch, its cookie and the language links), page
// rendering through per-language templates, content-hashed static
// assets, and the websocket pump of live pages. Each UI (the officer UI
// in webui, the fleet dashboard in webui/fleetui) keeps its own pages,
// sessions and messages.
package shell
