// Ages that tick and the city link, for the officer UI. Every
// span[data-ago] holds an age in milliseconds as of the page's making; it
// is re-written every second in the page's language (the unit formats are on
// <body data-ages>). On a live event, which app.js hands over through
// window.xanodeStatus, and every minute, the header's city link, the
// offline message and the decision notices are fetched again from
// /status/live. Plain ES5, no inline script (the page's CSP allows none).
(function () {
  'use strict';
  var ages = (document.body.getAttribute('data-ages') || '').split('|');
  if (ages.length !== 4 || !document.getElementById('city-link')) {
    return;
  }
  var loaded = new Date().getTime();

  // format says an age as webui's age() does: seconds under a minute,
  // minutes under an hour, hours under two days, then days.
  function format(ms) {
    var n, unit;
    if (ms < 60000) { n = Math.floor(ms / 1000); unit = 0; }
    else if (ms < 3600000) { n = Math.floor(ms / 60000); unit = 1; }
    else if (ms < 172800000) { n = Math.floor(ms / 3600000); unit = 2; }
    else { n = Math.floor(ms / 86400000); unit = 3; }
    return ages[unit].replace(/\d+/, String(Math.max(0, n)));
  }

  function tick() {
    var spans = document.querySelectorAll('span[data-ago]');
    var since = new Date().getTime() - loaded;
    for (var i = 0; i < spans.length; i++) {
      var s = spans[i];
      if (!s.hasAttribute('data-base')) {
        s.setAttribute('data-base', String(since)); // a span swapped in later starts now
      }
      var ago = +s.getAttribute('data-ago') + since - +s.getAttribute('data-base');
      s.textContent = format(ago);
    }
  }

  var busy = false, again = false, timer = null;

  // swap replaces each element of the fragment that the page has, by id.
  function swap(html) {
    var tmp = document.createElement('div');
    tmp.innerHTML = html;
    var parts = tmp.children;
    for (var i = parts.length - 1; i >= 0; i--) {
      var old = parts[i].id && document.getElementById(parts[i].id);
      if (old) { old.parentNode.replaceChild(parts[i], old); }
    }
    tick();
  }

  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    var x = new XMLHttpRequest();
    x.open('GET', '/status/live?here=' + encodeURIComponent(location.pathname + location.search));
    x.setRequestHeader('X-Requested-With', 'xanode');
    x.onreadystatechange = function () {
      if (x.readyState !== 4) { return; }
      busy = false;
      if (x.status === 200) { swap(x.responseText); }
      if (again) { again = false; refresh(); }
    };
    x.send();
  }

  function soon() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 200);
  }

  window.xanodeStatus = function (ev) {
    var k = ev && ev.kind;
    if (k === 'sync' || k === 'decision' || k === 'outcome' || k === 'outbox' || k === 'open') { soon(); }
  };
  tick();
  setInterval(tick, 1000);
  setInterval(refresh, 60000);
}());
