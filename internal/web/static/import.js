// Ocean admin: the CSV import's progress (decision 0130). The import page's
// forms (data-progress) are sent from here instead: the bar shows the
// bytes uploaded, then the rows checked and written, which the shop
// streams back one JSON line at a time (Accept: application/x-ndjson); the
// last line carries the page's new content. Without this file the forms
// are plain forms and the answer is the same page.
(function () {
  "use strict";
  var phases = { upload: "Uploading the file…", check: "Checking the rows…", write: "Importing the rows…" };

  function size(n) {
    return n < 1048576 ? Math.max(1, Math.round(n / 1024)) + " KB" : (n / 1048576).toFixed(1) + " MB";
  }

  document.addEventListener("submit", function (e) {
    var form = e.target;
    var main = document.getElementById("main");
    var box = document.getElementById("import-progress");
    if (!form.hasAttribute || !form.hasAttribute("data-progress") || !main || !box || !window.FormData || !window.DOMParser) return;
    e.preventDefault();
    var phase = document.getElementById("import-phase");
    var bar = document.getElementById("import-bar");
    var count = document.getElementById("import-count");
    var buttons = form.querySelectorAll("button");
    var i;
    for (i = 0; i < buttons.length; i++) buttons[i].disabled = true;
    box.hidden = false;

    function show(name, done, total, text) {
      if (phase.textContent !== phases[name]) phase.textContent = phases[name];
      if (total) {
        bar.max = total;
        bar.value = done;
      } else {
        bar.removeAttribute("value"); // not known yet: the bar moves without a figure
      }
      count.textContent = text;
    }
    function swap(html) {
      main.innerHTML = html;
      main.focus();
    }
    function failed() {
      phase.textContent = "The connection to the shop was lost.";
      count.textContent = "If it was lost before the import finished, nothing was imported: look at the product list, then try again.";
      for (i = 0; i < buttons.length; i++) buttons[i].disabled = false;
    }

    var xhr = new XMLHttpRequest();
    var read = 0, finished = false;
    function streamed() {
      return (xhr.getResponseHeader("Content-Type") || "").indexOf("application/x-ndjson") === 0;
    }
    // lines handles the complete lines that arrived since the last call.
    function lines() {
      var text = xhr.responseText, end = text.lastIndexOf("\n");
      if (end < read) return;
      var chunk = text.slice(read, end).split("\n");
      read = end + 1;
      chunk.forEach(function (line) {
        var ev;
        try { ev = JSON.parse(line); } catch (err) { return; }
        if (ev.event === "progress") {
          show(ev.phase, ev.done, ev.total, ev.done.toLocaleString() + " of " + ev.total.toLocaleString() + " rows");
        } else if (ev.event === "done") {
          finished = true;
          swap(ev.html);
        }
      });
    }
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "application/x-ndjson");
    xhr.upload.addEventListener("progress", function (ev) {
      if (ev.lengthComputable) show("upload", ev.loaded, ev.total, size(ev.loaded) + " of " + size(ev.total));
    });
    xhr.addEventListener("progress", function () { if (streamed()) lines(); });
    xhr.addEventListener("load", function () {
      if (streamed()) {
        lines();
        if (!finished) failed();
        return;
      }
      // An answer before the stream started (a file too large, a form
      // that expired): the page it is, as without script.
      var m = new DOMParser().parseFromString(xhr.responseText, "text/html").getElementById("main");
      if (m) swap(m.innerHTML);
      else failed();
    });
    xhr.addEventListener("error", failed);
    xhr.addEventListener("abort", failed);
    show("upload", 0, 0, "");
    xhr.send(new FormData(form));
  });
})();
