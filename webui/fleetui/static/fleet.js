// Fleet UI: keeps the node table live over the websocket, and adds a copy
// button to the enrollment command. Plain ES5; every page works without it.
(function () {
  'use strict';
  var copy = document.getElementById('copy');
  var command = document.getElementById('command');
  if (copy && command && navigator.clipboard) {
    copy.hidden = false;
    copy.onclick = function () {
      navigator.clipboard.writeText(command.textContent).then(function () {
        copy.textContent = copy.getAttribute('data-done');
      });
    };
  }

  var live = document.getElementById('live');
  var conn = document.getElementById('conn');
  var updated = document.getElementById('updated');
  if (!live || !conn || !window.WebSocket || !window.JSON) { return; }
  var delay = 1000;

  function show(state) {
    conn.hidden = false;
    conn.textContent = conn.getAttribute('data-text-' + state);
    conn.className = 'conn ' + (state === 'on' ? 'on' : 'off');
  }

  function retry() {
    var wait = delay + Math.floor(Math.random() * delay / 2);
    delay = Math.min(delay * 2, 30000);
    setTimeout(connect, wait);
  }

  function connect() {
    var ws;
    try {
      ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') +
        location.host + live.getAttribute('data-ws'));
    } catch (e) { retry(); return; }
    ws.onopen = function () { delay = 1000; show('on'); };
    ws.onmessage = function (m) {
      var msg;
      try { msg = JSON.parse(m.data); } catch (e) { return; }
      if (msg.html) { live.innerHTML = msg.html; }
      if (msg.updated && updated) { updated.textContent = msg.updated; }
    };
    ws.onclose = function (e) {
      if (e.code === 1008) { show('ended'); return; } // session over: a new link is needed
      show('off');
      retry();
    };
  }
  connect();
}());
