// Package stream is the websocket between an edge and the city: the city
// tells the edge what changed (notifications), the edge tells the city how
// it is (telemetry). The Hub is the city node's end, the Dialer the edge's.
//
// # Transport
//
// Each edge keeps one websocket (gorilla/websocket) open to one city node,
// any of them, over the city API's HTTPS with mutual TLS: the edge dials
// wss://<city>/v1/stream. The city API must authenticate the caller by
// its certificate, refuse revoked ones, and only then hand the request to
// Hub.Serve with the node's ID and assigned communes. Serve refuses any
// request with an Origin header: edges send none, and a browser page must
// not reach the stream with the credentials of the machine it runs on.
//
// # Frames
//
// Every frame is one websocket text message holding one JSON object, a
// Message, of at most MaxFrame (64 KiB) bytes; "type" says what it is.
//
//	city → edge  {"type":"subset","commune":"00001","version":42}
//	             {"type":"revoked","reason":"box stolen"}
//	             {"type":"config","config":{"pull_every":"5m"}}
//	             {"type":"renew"}
//	             {"type":"trust","version":57}
//	edge → city  {"type":"telemetry","telemetry":{"time":"…","communes":["00001"],"outbox":3,…}}
//
// Receivers ignore unknown types, types that do not travel their way, and
// unknown fields, so either side can add them without breaking older
// peers. A frame that is not a message (too large, binary, not JSON, a
// field of the wrong JSON type, no type) is a bug or an attack: the
// receiver closes the connection with a close code that says so (1009
// message too big, 1003 unsupported data, 1007 invalid payload) and a
// reason. A well-formed message whose fields are out of bounds (see
// Message.Validate) is dropped and logged, and the connection stays. The
// hub also drops telemetry that names communes the connection was not
// assigned: an edge cannot report for other communes.
//
// # Keepalive
//
// The hub pings every HubConfig.PingEvery (20 s) and the edge answers;
// each side extends its read deadline on every frame it receives,
// pings and pongs included, and presumes the link dead after 3× PingEvery
// of silence, so a link that vanished without a FIN is noticed within a
// minute on both ends. Every write has a deadline. A connection has one
// writer goroutine, fed by a bounded queue (HubConfig.QueueLen): Notify
// never waits for an edge, and an edge whose queue is full is dropped.
// Either side closes with a close frame and a reason, and waits briefly
// for the peer's answer: the city with 1001 when it shuts down, 4001
// (CloseRevoked) after a TypeRevoked message when the edge is revoked,
// 4002 (CloseReplaced) when the same node connected again; the edge with
// 1001 when it shuts down.
//
// # Reconnection
//
// The Dialer tries the city URLs in turn, starting with the last that
// worked. After a failed round, or once a connection ends, it waits a
// random time up to MinBackoff·2^n, capped at MaxBackoff ("full jitter":
// a city node that restarts is not hit by every edge at the same
// instant); n goes back to zero after a connection that lived at least
// MaxBackoff. A revoked edge waits between MaxBackoff/2 and MaxBackoff
// between rounds and logs at error level that it must be re-enrolled.
//
// # Notifications are hints
//
// A notification can be lost: the edge may be disconnected, its queue
// full, or the city node it talks to not the one that saw the change.
// Nothing depends on it. The edge still pushes and pulls on its own
// timers; a TypeSubset only makes it pull sooner, and a TypeRevoked only
// explains what its next connection attempt will be told anyway. Telemetry is
// likewise a sample, not a record: a lost sample is replaced by the next.
//
// # Wiring
//
// On a city node (one Hub per node; an edge is connected to one node, so
// every node notifies its own edges, e.g. from what its FSM applies):
//
//	hub := stream.NewHub(stream.HubConfig{OnTelemetry: fleet.Record, OnConnect: pushConfig, Log: log})
//	mux.HandleFunc("GET /v1/stream", role(func(w http.ResponseWriter, r *http.Request) {
//		c := callerOf(r) // authenticated edge, not revoked
//		hub.Serve(w, r, c.id, communesOf(c.id))
//	}, certs.RoleEdge))
//	hub.Notify(commune, stream.Message{Type: stream.TypeSubset, Commune: commune, Version: v}) // new version
//	hub.Reassign(node, communes)                                                              // assignment changed
//	hub.Kick(node, reason)                                                                    // revoked
//	hub.Close()                                                                               // before http.Server.Shutdown
//
// On an edge:
//
//	d, err := stream.NewDialer(stream.DialerConfig{URLs: cityURLs, TLS: clientTLS,
//		Telemetry: sample, OnMessage: onStream, Log: log})
//	go d.Run(ctx)  // returns once ctx ends and its goroutines are gone
//	d.Kick()       // after a push or pull, so the fleet view is current
//
// where onStream wakes the pull loop on TypeSubset, applies TypeConfig and
// starts a renewal on TypeRenew, without blocking.
package stream
