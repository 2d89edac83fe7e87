// Package webui is the officer web UI of an edge node, served on the
// commune office LAN: log in, identify a citizen by tapping the chip card,
// by personal ID or by name and date of birth, read the record with its
// household and history, record every change operation an edge may record,
// follow the outbox and the city's outcomes live, and print a
// residence-information confirmation.
//
// It is built for an old office PC: server-rendered html/template pages,
// one small hand-written stylesheet and one small ES5 script, all embedded;
// every page works without the script, which only adds live updates over a
// websocket (an event makes the page re-fetch a fragment), focus and the
// print button. Every text comes from the catalogs of package i18n,
// Vietnamese first.
//
// The UI owns no data. It declares the small interfaces it needs (Officers,
// Registry, Cards, Events) and package node wires them; it never imports
// raft, bbolt or any other xanode package but node/registry. Mount the
// Server at "/" — the node itself serves /healthz and the other operator
// endpoints beside it:
//
//	GET  /login, POST /login, POST /logout     officer session
//	GET  /                                     identify: tap card, look up by ID, search
//	POST /tap                                  read the card on the reader, opened with the ID/CAN (and dates) typed
//	GET  /tap/live                             the reader's state (fragment), with a CardReader
//	GET  /lookup?id=                           check a typed ID, go to the record
//	GET  /search?name=&birth=                  find by name (diacritics optional) and date of birth
//	GET  /citizen/{id}                         the record, its household and history
//	GET  /citizen/{id}/print                   residence-information confirmation (audited lookup)
//	GET  /citizen/{id}/change/{op}             the form of a change operation (registry.Op)
//	POST /citizen/{id}/change/{op}             record it
//	GET  /birth?parent=, POST /birth           birth registration (filled from a parent's record)
//	GET  /outbox?recorded=, GET /outbox/live   sync queue and outcomes (page, fragment)
//	GET  /review?citizen=, POST /review/{id}   the city's findings to review; a resolution (Review)
//	GET  /ws                                   live events (session and same origin only)
//	GET  /static/{name}                        embedded CSS and JS
//
// Roles: see registry.OfficerMay. Data past its hard limit (Status.Frozen: the box
// has not reached the city for that long) is not read at all: lookups by
// ID, searches, the card comparison and printing stop, with a message
// saying why and whom to call (Config.HelpContact).
//
// Security: server-side sessions (kept by the node's SessionStore when it
// offers one, so they survive a restart; ended when the account changes,
// see AccountStamps) behind an HttpOnly, SameSite=Strict cookie (Secure
// and __Host- under TLS); a per-session
// CSRF token on every POST form; login tries counted before the password
// is checked, per user name and (more loosely) per address, a few at once
// per address, ErrBusy answered 503, the refusal counting down live; a
// strict Content-Security-Policy without inline script or style; HSTS
// under TLS; a warning on every page when served over plain HTTP on the
// office network (Config.Insecure); pages never cached (office PCs are
// shared).
package webui
