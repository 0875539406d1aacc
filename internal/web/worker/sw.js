// Ocean's service worker (docs/storefront-offline.md). Served at /sw.js
// with this build's VERSION and SHELL written in by the server.
//
// - The shell (static assets, /offline) is precached on install.
// - Home, category and product pages the server marked "Ocean-Offline"
//   are kept stale-while-revalidate, at most MAX_PAGES of them; after any
//   change the shopper makes (a POST), kept copies are revalidated first
//   while online, so the header never shows a stale cart or sign-in.
// - Anything else (cart, checkout, account, admin, search) goes to the
//   network; offline, the /offline page answers.
// - An add to cart that cannot reach the shop is kept in the outbox and
//   the shopper sent to /offline; app.js sends it when back online.
// - A new version takes over at once and deletes the old caches.
"use strict";

var VERSION = "__VERSION__";
var SHELL_URLS = ["__SHELL__"];
var OFFLINE = "/offline";
var SHELL = "ocean-shell-" + VERSION;
var PAGES = "ocean-pages-" + VERSION;
var IMAGES = "ocean-images-" + VERSION;
var OUTBOX = "ocean-outbox"; // kept across versions: adds not yet sent
var CURRENT = [SHELL, PAGES, IMAGES, OUTBOX];
var MAX_PAGES = 30;
var MAX_IMAGES = 60;
var KEPT_AT = "ocean-kept-at";
var CHANGED = "/__ocean/changed"; // in OUTBOX: when the shopper last changed something
var PAGE_PATH = /^\/(?:|c\/[^/]+|p\/[^/]+)$/;
var IMAGE_PATH = /^\/(?:images\/products|media)\//;
var CHANGES = /^\/(?:cart|account|checkout|api\/v1\/(?:carts|auth|me))(?:\/|$)/;

var changedAt = null; // cached copy of CHANGED

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL).then(function (cache) {
    return cache.addAll(SHELL_URLS.map(function (u) { return new Request(u, { cache: "reload" }); }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) {
      return n.indexOf("ocean-") === 0 && CURRENT.indexOf(n) < 0;
    }).map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var req = event.request;
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (req.method !== "GET") {
    // A form sent, or a change to the cart, account or checkout (not a
    // report: Web Vitals, errors, CSP) makes kept pages out of date.
    if (req.mode === "navigate" || CHANGES.test(url.pathname)) event.waitUntil(markChanged());
    if (req.method === "POST" && url.pathname === "/cart/items" && req.mode === "navigate") {
      event.respondWith(addToCart(req));
    }
    return;
  }
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(caches.match(req, { cacheName: SHELL }).then(function (hit) { return hit || fetch(req); }));
  } else if (IMAGE_PATH.test(url.pathname)) {
    event.respondWith(image(event, req));
  } else if (req.mode === "navigate") {
    event.respondWith(PAGE_PATH.test(url.pathname) ? page(event, req, url) : fetch(req).catch(offline));
  }
});

function offline() {
  return caches.match(OFFLINE, { cacheName: SHELL }).then(function (hit) {
    return hit || new Response("You are offline.", { status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" } });
  });
}

// page answers a kept page at once and refreshes it in the background
// (stale-while-revalidate). A copy older than the shopper's last change
// waits for the network instead, and is the fallback when there is none.
function page(event, req, url) {
  var key = url.href;
  return Promise.all([caches.open(PAGES), changed()]).then(function (r) {
    var cache = r[0], since = r[1];
    return cache.match(key).then(function (hit) {
      var network = fetch(req).then(function (res) {
        if (keepable(res)) return keep(cache, key, res.clone(), MAX_PAGES).then(function () { return res; });
        if (res.status >= 500 && hit) return hit;
        return res;
      });
      if (hit && Number(hit.headers.get(KEPT_AT)) > since) {
        event.waitUntil(network.catch(function () {}));
        return hit;
      }
      return network.catch(function () {
        return hit || cache.match(key, { ignoreSearch: true }).then(function (h) { return h || offline(); });
      });
    });
  });
}

function image(event, req) {
  return caches.open(IMAGES).then(function (cache) {
    return cache.match(req).then(function (hit) {
      var network = fetch(req).then(function (res) {
        if (res.ok && res.type === "basic") return keep(cache, req.url, res.clone(), MAX_IMAGES).then(function () { return res; });
        return res;
      });
      if (hit) {
        event.waitUntil(network.catch(function () {}));
        return hit;
      }
      return network;
    });
  });
}

// keepable: only what the server marked for offline use, never a
// redirect, an error or anything "no-store".
function keepable(res) {
  return res.status === 200 && res.type === "basic" && !res.redirected &&
    res.headers.get("Ocean-Offline") === "cache" &&
    !/no-store/i.test(res.headers.get("Cache-Control") || "");
}

// keep stores res under key, stamped with the time, as the newest entry,
// and drops the oldest beyond max.
function keep(cache, key, res, max) {
  var headers = new Headers(res.headers);
  headers.set(KEPT_AT, String(Date.now()));
  return res.blob().then(function (body) {
    return cache.delete(key).then(function () {
      return cache.put(key, new Response(body, { status: res.status, statusText: res.statusText, headers: headers }));
    });
  }).then(function () {
    return cache.keys();
  }).then(function (keys) {
    return Promise.all(keys.slice(0, Math.max(0, keys.length - max)).map(function (k) { return cache.delete(k); }));
  });
}

function changed() {
  if (changedAt !== null) return Promise.resolve(changedAt);
  return caches.open(OUTBOX).then(function (c) { return c.match(CHANGED); }).then(function (hit) {
    return hit ? hit.text() : "0";
  }).then(function (t) {
    if (changedAt === null) changedAt = Number(t) || 0;
    return changedAt;
  });
}

function markChanged() {
  changedAt = Date.now();
  var stamp = String(changedAt);
  return caches.open(OUTBOX).then(function (c) { return c.put(CHANGED, new Response(stamp)); });
}

// addToCart sends the product page's form; when the shop cannot be
// reached it keeps the form (with its CSRF token) in the outbox and shows
// the offline page, which lists what waits.
function addToCart(req) {
  var copy = req.clone();
  return fetch(req).catch(function () {
    return copy.text().then(function (body) {
      return caches.open(OUTBOX).then(function (c) {
        var key = "/__ocean/outbox/" + Date.now() + "-" + Math.random().toString(36).slice(2);
        return c.put(key, new Response(body, { headers: { "Content-Type": "application/x-www-form-urlencoded" } }));
      });
    }).then(function () {
      return Response.redirect(OFFLINE + "?queued=1", 303);
    });
  });
}
