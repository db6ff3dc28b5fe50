/* The workflow page's live status: the initial snapshot, then pushes over the WebSocket. */
(function () {
  "use strict";
  var page = document.getElementById("workflow-page");
  var socketPath = page.dataset.socketPath;
  var runUrl = page.dataset.runUrl;
  var live = document.getElementById("live");

  function text(tag, value) { var el = document.createElement(tag); el.textContent = value == null ? "" : String(value); return el; }

  function render(data) {
    var sign = document.getElementById("sign");
    sign.className = "sign " + data.state;
    sign.dataset.state = data.state;
    sign.textContent = data.on ? "On" : data.reason;
    if (window.EkyamDiagram) { window.EkyamDiagram.render(data); }
    var checks = document.getElementById("checks");
    checks.replaceChildren.apply(checks, data.checks.map(function (c) {
      var li = text("li", c.kind + ": " + c.reason); li.className = "sign " + (c.ok ? "on" : c.state); return li;
    }));
    var cr = data.current_run;
    document.getElementById("current-run").textContent = cr
      ? "Run " + cr.id + " " + cr.status + ": read " + cr.read + ", written " + cr.created + ", updated " + cr.updated +
        ", unchanged " + cr.unchanged + ", failed " + cr.failed + (cr.throughput ? " · " + cr.throughput + " records/s" : "")
      : "No run in progress.";
    var rows = document.getElementById("runs");
    rows.replaceChildren.apply(rows, data.recent_runs.map(function (r) {
      var tr = document.createElement("tr");
      var first = document.createElement("td"), link = text("a", r.id);
      link.href = runUrl.replace("/0/", "/" + r.id + "/"); first.appendChild(link); tr.appendChild(first);
      [r.trigger, r.status, r.read, r.created, r.updated, r.unchanged, r.failed, r.throughput, r.error_summary].forEach(function (v) { tr.appendChild(text("td", v)); });
      return tr;
    }));
    document.getElementById("open-errors").textContent = data.open_errors;
    var errors = document.getElementById("errors");
    errors.replaceChildren.apply(errors, data.recent_errors.map(function (e) {
      return text("li", e.trace_key + " (" + e["class"] + "): " + e.message);
    }));
    if (window.EkyamOutcomes) { window.EkyamOutcomes.render(data); }
  }

  render(JSON.parse(document.getElementById("initial-status").textContent));

  var delay = 1000;
  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + socketPath);
    socket.onopen = function () { delay = 1000; live.textContent = "live"; };
    socket.onmessage = function (event) {
      var message = JSON.parse(event.data);
      if (message.type === "status") render(message.data);
    };
    socket.onclose = function () {
      live.textContent = "reconnecting…";
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  connect();
})();
