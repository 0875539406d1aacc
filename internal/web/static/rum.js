// Ocean real-user monitoring: JavaScript errors and Core Web Vitals (LCP,
// INP, CLS, TTFB) go to the shop itself, same origin, as small JSON beacons.
(function () {
  "use strict";
  var send = function (path, data) {
    try {
      var body = JSON.stringify(data);
      if (!(navigator.sendBeacon && navigator.sendBeacon(path, body))) {
        fetch(path, { method: "POST", body: body, keepalive: true, credentials: "same-origin" });
      }
    } catch (e) { /* reporting must never break the page */ }
  };
  var page = location.pathname, sent = 0;
  var report = function (kind, msg, err, src, line, col) {
    if (sent++ >= 5) return; // a broken page reports a few, not a flood
    send("/errors/browser", {
      kind: kind, message: String(msg || "").slice(0, 500), source: String(src || "").slice(0, 300),
      line: line || 0, column: col || 0, stack: String((err && err.stack) || "").slice(0, 4000), page: page
    });
  };
  addEventListener("error", function (e) {
    if (e.error || e.message) report("error", e.message, e.error, e.filename, e.lineno, e.colno);
  });
  addEventListener("unhandledrejection", function (e) {
    var r = e.reason;
    report("rejection", r && r.message ? (r.name || "Error") + ": " + r.message : r, r);
  });

  if (!window.PerformanceObserver) return;
  var v = { page: page }, inps = [];
  var observe = function (type, fn, opts) {
    try {
      new PerformanceObserver(function (l) { l.getEntries().forEach(fn); })
        .observe(Object.assign({ type: type, buffered: true }, opts));
    } catch (e) { /* not supported here */ }
  };
  var nav = performance.getEntriesByType && performance.getEntriesByType("navigation")[0];
  if (nav && nav.responseStart > 0) v.ttfb = nav.responseStart;
  observe("largest-contentful-paint", function (e) { v.lcp = e.startTime; });
  // CLS: the largest burst of shifts (gaps < 1 s, at most 5 s long)
  // without recent input.
  var cls = 0, burst = 0, first = 0, last = 0;
  observe("layout-shift", function (e) {
    if (e.hadRecentInput) return;
    if (burst && e.startTime - last < 1000 && e.startTime - first < 5000) burst += e.value;
    else { burst = e.value; first = e.startTime; }
    last = e.startTime;
    if (burst > cls) v.cls = cls = burst;
  });
  // INP: the slowest interaction, skipping one for every 50 (the 98th
  // percentile on busy pages).
  observe("event", function (e) {
    if (!e.interactionId) return;
    inps.push(e.duration);
    inps.sort(function (a, b) { return b - a; });
    v.inp = inps[Math.min(inps.length - 1, Math.floor(inps.length / 50))];
  }, { durationThreshold: 40 });
  observe("first-input", function (e) { if (v.inp === undefined) v.inp = e.processingStart - e.startTime; });
  var done = false;
  addEventListener("visibilitychange", function () {
    if (document.visibilityState !== "hidden" || done) return;
    done = true;
    send("/vitals", v);
  });
})();
