// Live updates for the officer UI. The websocket carries only event kinds;
// on each the page re-fetches its live fragment through the ordinary,
// session-checked handler. Without this script, or without WebSocket, every
// page still works: reloading shows the current state. Plain ES5 on
// purpose: office PCs run old browsers.
(function () {
  'use strict';
  // A card read's or a search's result appears below the forms: bring it
  // into view and to the screen reader at once.
  var result = document.getElementById('ident') || document.getElementById('results');
  if (result) { result.focus(); }

  // The confirmation page's print button needs the script; without it the
  // button stays hidden and the browser's own Ctrl+P prints the same.
  var print = document.getElementById('print-button');
  if (print && window.print) {
    print.hidden = false;
    print.onclick = function () { window.print(); };
    print.focus();
  }

  // A refused login counts down to when it may be tried again; the submit
  // button waits for it (the server would refuse an earlier try anyway).
  var count = document.querySelector('[data-countdown]');
  if (count) {
    var left = +count.getAttribute('data-countdown');
    var submit = document.querySelector('form button[type=submit]');
    var tick = function () {
      if (submit) { submit.disabled = left > 0; }
      if (left <= 0) { count.textContent = count.getAttribute('data-done'); return; }
      count.textContent = Math.floor(left / 60) + ':' + ('0' + left % 60).slice(-2);
      left--;
      setTimeout(tick, 1000);
    };
    tick();
  }

  var liveURL = document.body.getAttribute('data-live');
  var notice = document.getElementById('card-notice');
  var conn = document.getElementById('conn');
  var link = document.getElementById('city-link'); // status.js follows it
  if (!window.WebSocket || !window.XMLHttpRequest || (!liveURL && !notice && !link)) {
    return;
  }
  var delay = 1000, timer = null, busy = false, again = false;

  function show(on) {
    conn.hidden = false;
    conn.textContent = conn.getAttribute(on ? 'data-text-on' : 'data-text-off');
    conn.className = 'conn ' + (on ? 'on' : 'off');
  }

  function toLogin() {
    location.href = '/login?next=' + encodeURIComponent(location.pathname);
  }

  // refresh fetches the fragment; events arriving meanwhile cause one more
  // fetch after it, never a pile of them.
  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    var x = new XMLHttpRequest();
    x.open('GET', liveURL + location.search);
    x.setRequestHeader('X-Requested-With', 'xanode');
    x.onreadystatechange = function () {
      if (x.readyState !== 4) { return; }
      busy = false;
      if (x.status === 401) { toLogin(); return; }
      if (x.status === 200) { update(x.responseText); }
      if (again) { again = false; refresh(); }
    };
    x.send();
  }

  // update swaps in the fragment and carries its pending count to the
  // menu's badge, so the two never disagree.
  function update(html) {
    var live = document.getElementById('live');
    live.innerHTML = html;
    var src = live.querySelector('[data-pending]');
    var badge = document.querySelector('.top .count');
    if (src && badge) { badge.textContent = src.getAttribute('data-pending'); }
  }

  function schedule() {
    if (!liveURL) { return; }
    clearTimeout(timer);
    timer = setTimeout(refresh, 150);
  }

  function retry() {
    var wait = delay + Math.floor(Math.random() * delay / 2);
    delay = Math.min(delay * 2, 30000);
    setTimeout(connect, wait);
  }

  function connect() {
    var ws;
    try {
      ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws');
    } catch (e) { retry(); return; }
    ws.onopen = function () {
      delay = 1000;
      show(true);
      schedule(); // catch up on what happened while disconnected
      if (window.xanodeStatus) { window.xanodeStatus({kind: 'open'}); }
    };
    ws.onmessage = function (m) {
      var ev;
      try { ev = JSON.parse(m.data); } catch (e) { return; }
      if (window.xanodeStatus) { window.xanodeStatus(ev); }
      if (ev.kind === 'card') {
        if (notice) {
          notice.hidden = false;
          // A real reader needs the ID typed first; then Enter reads.
          var key = document.getElementById('tap-key');
          var empty = key && key.value === '' && key.getAttribute('aria-required') === 'true';
          document.getElementById(empty ? 'tap-key' : 'tap').focus();
        }
        return;
      }
      schedule();
    };
    ws.onclose = function (e) {
      if (e.code === 1008) { toLogin(); return; } // session ended
      show(false);
      retry();
    };
  }
  connect();
}());
