// Ocean storefront: working offline (docs/storefront-offline.md). Registers
// the service worker after the page has loaded, says when the connection
// drops and comes back, sends the adds to cart kept while offline, keeps a
// copy of the cart as last seen and fills in the offline page. Every page
// works without this file.
(function () {
  "use strict";
  var OUTBOX = "ocean-outbox";
  var CART = "ocean-cart"; // localStorage: the cart as last seen
  var hasCaches = "caches" in window;
  var me = document.currentScript;

  // The server leaves the worker out where browsers would refuse it (HTTPS
  // with the shop's own development CA).
  if ("serviceWorker" in navigator && !(me && me.hasAttribute("data-no-worker"))) {
    var register = function () { navigator.serviceWorker.register("/sw.js").catch(function () {}); };
    if (document.readyState === "complete") register();
    else window.addEventListener("load", register);
  }

  // ------------------------------------------------------------ banner
  // Made on first use, so a page that never goes offline has none.
  var banner = null;

  function say(text, link, linkText, tone) {
    if (!banner) {
      banner = document.createElement("div");
      banner.id = "net-banner";
      banner.setAttribute("role", "status");
      document.body.appendChild(banner);
    }
    banner.textContent = "";
    banner.appendChild(document.createTextNode(text));
    if (link) {
      var a = document.createElement("a");
      a.href = link;
      a.textContent = linkText;
      banner.appendChild(document.createTextNode(" "));
      banner.appendChild(a);
    }
    var close = document.createElement("button");
    close.type = "button";
    close.className = "net-banner-close";
    close.textContent = "Dismiss";
    close.addEventListener("click", function () { banner.hidden = true; });
    banner.appendChild(close);
    banner.className = "net-banner" + (tone ? " net-banner-" + tone : "");
    banner.hidden = false;
  }

  function wentOffline() {
    say("You’re offline. Pages you’ve viewed still open, and what you add to your cart is kept until you’re back.", null, null, "offline");
  }
  window.addEventListener("offline", wentOffline);
  window.addEventListener("online", function () {
    say("You’re back online.", null, null, "online");
    var shown = banner.firstChild;
    // The plain "back online" goes away by itself; what replay reports stays.
    setTimeout(function () { if (banner.firstChild === shown) banner.hidden = true; }, 5000);
    replay();
  });
  if (!navigator.onLine) wentOffline();

  // ------------------------------------------------------------ helpers
  function titleOf(url) {
    if (!hasCaches) return Promise.resolve("");
    return caches.match(url).then(function (res) { return res ? res.text() : ""; }).then(function (html) {
      var m = /<title>([^<]*)<\/title>/.exec(html);
      if (!m) return "";
      var t = document.createElement("textarea"); // decodes entities, runs nothing
      t.innerHTML = m[1];
      return t.value.replace(/ · Ocean$/, "");
    });
  }

  // describe names a kept add to cart: "Linen shirt (size: M) × 2".
  function describe(form) {
    var slug = form.get("product") || "";
    var opts = [];
    form.forEach(function (v, k) {
      if (k !== "product" && k !== "quantity" && k !== "csrf" && k !== "variant_id") opts.push(k + ": " + v);
    });
    return titleOf(location.origin + "/p/" + encodeURIComponent(slug)).then(function (title) {
      return (title || slug || "An item") + (opts.length ? " (" + opts.join(", ") + ")" : "") + " × " + (form.get("quantity") || "1");
    });
  }

  function outbox() {
    if (!hasCaches) return Promise.resolve(null);
    return caches.has(OUTBOX).then(function (has) { return has ? caches.open(OUTBOX) : null; });
  }

  function queued(cache) {
    return cache.keys().then(function (keys) {
      return keys.filter(function (k) { return new URL(k.url).pathname.indexOf("/__ocean/outbox/") === 0; });
    });
  }

  function setCount(n) {
    var el = document.getElementById("cart-count");
    if (el && el.firstChild && el.firstChild.nodeType === 3) el.firstChild.nodeValue = String(n);
  }

  // ------------------------------------------------------------ replay
  // send posts a kept form as the product page would, with the CSRF token
  // of the product page as it is now: the one kept with the form expires
  // with the browser session (the shop's checks apply either way).
  function send(body) {
    var form = new URLSearchParams(body);
    var slug = form.get("product");
    var token = !slug ? Promise.resolve() :
      (window.oceanFetch || fetch)("/p/" + encodeURIComponent(slug), { cache: "no-store", credentials: "same-origin" })
        .then(function (page) { return page.text(); })
        .then(function (html) {
          var m = /name="csrf" value="([^"]+)"/.exec(html);
          if (m) form.set("csrf", m[1]);
        });
    return token.then(function () {
      return (window.oceanFetch || fetch)("/cart/items", { method: "POST", body: form, credentials: "same-origin" });
    }).then(function (res) {
      if (res.ok && res.redirected && new URL(res.url).pathname === "/cart") {
        return res.text().then(function (html) { return { ok: true, html: html }; });
      }
      // The shop's own words for the refusal ("Only 1 of … left."), from
      // the page it answered with.
      return res.text().then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var why = doc.querySelector("main .field-error, main .alert-error, main .lead");
        return { ok: false, status: res.status, why: why ? why.textContent.trim() : "" };
      });
    });
  }

  var replaying = false;
  function replay() {
    if (replaying || !navigator.onLine) return;
    replaying = true;
    var run = function () {
      return outbox().then(function (cache) {
        if (!cache) return [];
        return queued(cache).then(function (keys) {
          var results = [];
          var next = function (i) {
            if (i >= keys.length) return results;
            return cache.match(keys[i]).then(function (res) { return res ? res.text() : null; }).then(function (body) {
              if (body === null) return next(i + 1);
              // Taken out first: another tab must not send it too.
              return cache.delete(keys[i]).then(function () {
                return send(body).then(function (r) {
                  return describe(new URLSearchParams(body)).then(function (name) {
                    r.name = name;
                    r.slug = new URLSearchParams(body).get("product");
                    results.push(r);
                    return next(i + 1);
                  });
                }, function (err) {
                  // Still no connection: put it back for the next time.
                  return cache.put(keys[i], new Response(body)).then(function () { throw err; });
                });
              });
            });
          };
          return next(0);
        });
      });
    };
    var done = navigator.locks ? navigator.locks.request(OUTBOX, run) : run();
    done.then(report, function () {}).then(function () { replaying = false; });
  }

  function report(results) {
    if (!results || !results.length) return;
    var added = results.filter(function (r) { return r.ok; });
    var failed = results.filter(function (r) { return !r.ok; });
    var last = added.length ? added[added.length - 1] : null;
    if (last) {
      var m = /id="cart-count">(\d+)/.exec(last.html);
      if (m) setCount(m[1]);
      snapshot(new DOMParser().parseFromString(last.html, "text/html"));
    }
    var parts = [];
    if (added.length) parts.push("Added to your cart: " + added.map(function (r) { return r.name; }).join("; ") + ".");
    failed.forEach(function (r) {
      parts.push("Couldn’t add " + r.name + ": " + (r.why || "please try again from the product page."));
    });
    var link = failed.length && !added.length ? "/p/" + encodeURIComponent(failed[0].slug || "") : "/cart";
    say("You’re back online. " + parts.join(" "), link, failed.length && !added.length ? "Open the product" : "View your cart", failed.length ? "warn" : "online");
    renderQueue();
  }

  // ------------------------------------------------------------ the cart as last seen
  function snapshot(doc) {
    if (!doc.querySelector(".cart-page")) return;
    var lines = [];
    doc.querySelectorAll(".cart-line").forEach(function (li) {
      var text = function (sel) { var el = li.querySelector(sel); return el ? el.textContent.trim() : ""; };
      var qty = li.querySelector("input[name=quantity]");
      var total = li.querySelector(".cart-line-total");
      lines.push({ name: text(".cart-line-name"), options: text(".cart-line-options"), quantity: qty ? qty.value : "",
        total: total && total.lastChild ? total.lastChild.textContent.trim() : "" });
    });
    var sum = doc.querySelector(".totals-total dd");
    var count = doc.getElementById("cart-count");
    try {
      localStorage.setItem(CART, JSON.stringify({ lines: lines, total: sum ? sum.textContent.trim() : "",
        count: count && count.firstChild ? count.firstChild.nodeValue.trim() : "0", at: Date.now() }));
    } catch (e) { /* storage full or off: nothing to keep */ }
  }
  if (location.pathname === "/cart") snapshot(document);

  // ------------------------------------------------------------ the offline page
  function item(list, text, href) {
    var li = document.createElement("li");
    if (href) {
      var a = document.createElement("a");
      a.href = href;
      a.textContent = text;
      li.appendChild(a);
    } else {
      li.textContent = text;
    }
    list.appendChild(li);
  }

  function renderQueue() {
    var section = document.getElementById("offline-queue");
    var list = document.getElementById("offline-queue-list");
    if (!section || !list) return;
    outbox().then(function (cache) { return cache ? queued(cache).then(function (keys) {
      return Promise.all(keys.map(function (k) {
        return cache.match(k).then(function (r) { return r.text(); }).then(function (b) { return describe(new URLSearchParams(b)); });
      }));
    }) : []; }).then(function (names) {
      list.textContent = "";
      names.forEach(function (n) { item(list, n); });
      section.hidden = !names.length;
    });
  }

  function renderRecent() {
    var list = document.getElementById("offline-recent");
    if (!list || !hasCaches) return;
    caches.keys().then(function (names) {
      var pages = names.filter(function (n) { return n.indexOf("ocean-pages-") === 0; });
      return Promise.all(pages.map(function (n) { return caches.open(n).then(function (c) { return c.keys(); }); }));
    }).then(function (lists) {
      var urls = [];
      lists.forEach(function (keys) { keys.forEach(function (k) { urls.push(k.url); }); });
      urls.reverse(); // the newest first
      return Promise.all(urls.map(function (u) { return titleOf(u).then(function (t) { return { url: u, title: t }; }); }));
    }).then(function (pages) {
      list.textContent = "";
      pages.forEach(function (p) {
        var u = new URL(p.url);
        item(list, p.title || (u.pathname === "/" ? "Home" : u.pathname), u.pathname + u.search);
      });
      var none = document.getElementById("offline-recent-none");
      if (none) none.hidden = pages.length > 0;
    });
  }

  function renderCart() {
    var box = document.getElementById("offline-cart");
    var seen;
    try { seen = JSON.parse(localStorage.getItem(CART) || "null"); } catch (e) { seen = null; }
    if (!seen) return;
    setCount(seen.count);
    if (!box) return;
    box.textContent = "";
    if (!seen.lines.length) {
      var p = document.createElement("p");
      p.textContent = "Your cart was empty.";
      box.appendChild(p);
      return;
    }
    var ul = document.createElement("ul");
    ul.className = "offline-list";
    ul.id = "offline-cart-lines";
    seen.lines.forEach(function (l) {
      item(ul, l.name + (l.options ? " (" + l.options + ")" : "") + " × " + l.quantity + (l.total ? " — " + l.total : ""));
    });
    box.appendChild(ul);
    if (seen.total) {
      var t = document.createElement("p");
      t.className = "offline-cart-total";
      t.textContent = "Total: " + seen.total;
      box.appendChild(t);
    }
    var when = document.createElement("p");
    when.className = "small";
    when.textContent = "As seen " + new Date(seen.at).toLocaleString() + ".";
    box.appendChild(when);
  }

  if (document.getElementById("offline-page")) {
    renderQueue();
    renderRecent();
    renderCart();
  }
  if (navigator.onLine) replay();
})();
