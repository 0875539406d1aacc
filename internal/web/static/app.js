// Ocean storefront: small enhancements. Every page works without this file.
(function () {
  "use strict";

  // oceanFetch is fetch that tries again when the network fails or the
  // shop answers 503: after the answer's Retry-After (seconds or a date,
  // at most 30 s), else after an exponential backoff with jitter (0.5 s,
  // 1 s, 2 s, … at most 8 s); `tries` more times (default 3). Any other
  // answer, 4xx included, is returned as it is: trying again would not
  // change it. The storefront's scripts call it instead of fetch.
  var sleep = function (ms) { return new Promise(function (done) { setTimeout(done, ms); }); };
  var backoff = function (n) { return Math.min(500 * Math.pow(2, n), 8000) * (0.5 + Math.random() / 2); };
  var retryAfter = function (res, n) {
    var h = res.headers.get("Retry-After");
    var s = h === null ? NaN : Number(h);
    var ms = isFinite(s) && s >= 0 ? s * 1000 : (h ? Date.parse(h) - Date.now() : NaN);
    return isFinite(ms) && ms >= 0 ? Math.min(ms, 30000) : backoff(n);
  };
  window.oceanFetch = function (url, opts, tries) {
    var left = tries === undefined ? 3 : tries;
    var n = 0;
    var attempt = function () {
      return fetch(url, opts).then(function (res) {
        if (res.status !== 503 || n >= left) return res;
        return sleep(retryAfter(res, n++)).then(attempt);
      }, function (err) {
        if (n >= left || (opts && opts.signal && opts.signal.aborted)) throw err;
        return sleep(backoff(n++)).then(attempt);
      });
    };
    return attempt();
  };

  // A select marked data-autosubmit (the sort order) applies itself.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      var form = select.form;
      if (!form) return;
      if (form.requestSubmit) form.requestSubmit();
      else form.submit();
    });
  });

  // Empty filter fields are left out of the address (min=&max=...).
  var filters = document.getElementById("filters");
  if (filters) {
    filters.addEventListener("submit", function () {
      Array.prototype.forEach.call(filters.elements, function (el) {
        if (el.name && el.type === "text" && el.value.trim() === "") el.disabled = true;
      });
    });
    // Coming back through the history must find the fields usable.
    window.addEventListener("pageshow", function () {
      Array.prototype.forEach.call(filters.elements, function (el) { el.disabled = false; });
    });
  }

  // The filter panel is a disclosure on phones and always open on wide
  // screens.
  var facets = document.getElementById("facets");
  if (facets && window.matchMedia) {
    var wide = window.matchMedia("(min-width: 56rem)");
    var sync = function () { if (wide.matches) facets.open = true; };
    sync();
    if (wide.addEventListener) wide.addEventListener("change", sync);
  }

  // Variant picker: show the chosen variant's price, stock and SKU at once,
  // from the data the server embedded.
  var data = document.getElementById("variants");
  var form = document.getElementById("variant-form");
  if (!data || !form) return;
  var variants;
  try { variants = JSON.parse(data.textContent); } catch (e) { return; }
  if (!Array.isArray(variants)) return;

  var note = document.getElementById("variant-note");
  var details = document.getElementById("variant-details");
  var price = document.getElementById("variant-price");
  var stock = document.getElementById("variant-stock");
  var sku = document.getElementById("variant-sku");
  // The add-to-cart button (when the shop has a cart) takes what is chosen;
  // a sold-out or missing combination cannot be added.
  var add = document.getElementById("add-to-cart");

  function chosen() {
    var picked = {};
    form.querySelectorAll("input[type=radio]:checked").forEach(function (input) {
      picked[input.name] = input.value;
    });
    return picked;
  }

  function find(picked) {
    var names = Object.keys(picked);
    for (var i = 0; i < variants.length; i++) {
      var v = variants[i], ok = true;
      for (var j = 0; j < names.length; j++) {
        if (!v.options || v.options[names[j]] !== picked[names[j]]) { ok = false; break; }
      }
      if (ok) return v;
    }
    return null;
  }

  form.addEventListener("change", function () {
    var picked = chosen();
    var v = find(picked);
    if (v) {
      price.textContent = v.price;
      stock.textContent = v.stock;
      stock.className = "stock stock-" + v.level;
      sku.textContent = v.sku;
    }
    details.hidden = !v;
    note.hidden = !!v;
    if (add) add.disabled = !v || v.level === "out";
    if (window.history && history.replaceState) {
      var q = new URLSearchParams(picked).toString();
      history.replaceState(null, "", location.pathname + (q ? "?" + q : ""));
    }
  });

  // The admin's picture upload: files dropped on the zone are put in the
  // file input and the form is sent, as if chosen and submitted.
  var zone = document.getElementById("drop-zone");
  var upload = document.getElementById("image-upload");
  var fileInput = document.getElementById("file");
  if (zone && upload && fileInput) {
    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (e) {
        e.preventDefault();
        zone.classList.add("dragging");
      });
    });
    zone.addEventListener("dragleave", function () { zone.classList.remove("dragging"); });
    zone.addEventListener("drop", function (e) {
      e.preventDefault();
      zone.classList.remove("dragging");
      if (!e.dataTransfer || !e.dataTransfer.files.length) return;
      fileInput.files = e.dataTransfer.files;
      if (upload.requestSubmit) upload.requestSubmit();
      else upload.submit();
    });
  }
})();
