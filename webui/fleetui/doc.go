// Package fleetui is city IT's fleet dashboard: the edge nodes with their
// health (last seen, lag behind the city, outbox depth, certificate expiry,
// disk, audit findings), problems first and live; charts of a node's or a
// commune's health; revoking, reinstating and reassigning a node; creating
// enrollment tokens; the conflict review queue; each node's audit trail
// with the city's verdict on its hash chain; and the data quality of the
// city's records (when the Fleet is also a Quality).
//
// `xanode fleet ui` runs it on city IT's workstation, on loopback: that
// process holds the admin client certificate and talks to the city over
// mTLS through the Fleet interface, which package node implements; the
// browser talks only to this server. There are no passwords: the command
// prints a one-time login link (LoginURL), which starts a session in the
// browser that opens it.
//
// Built like the officer UI: server-rendered html/template pages, one small
// embedded stylesheet and ES5 script; every page works without the script,
// which only keeps the node table live over a websocket. Charts are inline
// SVG drawn on the server. Every text comes from package i18n (keys
// "fleet."), Vietnamese first.
//
//	GET  /login?token=                  one-time login link → session cookie → /
//	GET  /?q=&state=&sort=&dir=         node table, filtered and sorted on the server
//	GET  /ws?q=&state=&sort=&dir=       the table's live part (session and same origin only)
//	GET  /node/{id}?after=              details, charts, actions, audit trail (paged)
//	POST /node/{id}/revoke              reason and confirmation required
//	POST /node/{id}/reinstate           lift a suspension; reason required
//	POST /node/{id}/assign              the communes the node acts for
//	GET  /commune/{code}                the commune's charts and nodes
//	GET  /enroll, POST /enroll          enrollment token, shown once with its command
//	GET  /conflicts, POST /conflicts/{entry}  review queue: accept or reject with a reason
//	GET  /quality                       data quality: figures per commune problems first, charts, trend
//	GET  /quality/commune/{code}        a commune's completeness, findings by rule and state, findings
//	GET  /quality/citizen/{id}          a record with its findings; POST /quality/finding/{id} decides one
//	GET  /quality/export.csv|.xlsx      the figures (and a commune's findings) for reports
//	GET  /static/{name}                 embedded CSS and JS
//
// Security: a session is a cookie signed with Config.Secret (HttpOnly,
// SameSite=Strict); every POST form carries a CSRF token derived from the
// session; pages without a session answer 401 with a page that says to run
// the command again; a strict Content-Security-Policy without inline script
// or style; no referrer; nothing cached.
package fleetui
