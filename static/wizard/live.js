// Step 5 of the setup wizard: follow the workflow's live status over the WebSocket
// (ws/workflows/<id>/) and update the sign, the checks, the run counts, the diagram and the list of
// open record errors in place. Reconnects after a drop and asks for a fresh snapshot.
(function () {
  "use strict";
  var root = document.getElementById("live-status");
  if (!root || !window.WebSocket) { return; }
  var workflowId = root.getAttribute("data-workflow");
  var labels = { on: "On", degraded: "Degraded", off: "Off", not_configured: "Not configured" };
  var statusLine = document.getElementById("live-connection");
  var delay = 500;
  var socket = null;

  function text(id, value) {
    var el = document.getElementById(id);
    if (el && el.textContent !== String(value)) { el.textContent = value; }
  }

  function render(data) {
    var sign = document.getElementById("flow-sign");
    sign.className = "sign big-sign " + data.state;
    sign.textContent = labels[data.state] || data.state;
    text("flow-reason", data.on ? "Connectivity, configuration and liveness all hold." : "Not on: " + data.reason);
    var checks = document.getElementById("flow-checks");
    checks.innerHTML = "";
    (data.checks || []).filter(function (c) { return !c.ok; }).forEach(function (c) {
      var li = document.createElement("li");
      li.textContent = c.kind + ": " + c.reason;
      checks.appendChild(li);
    });
    var run = data.current_run || (data.recent_runs || [])[0];
    if (run) {
      text("run-label", "Run " + run.id + " · " + run.trigger + " · " + run.status);
      // "Written" on the page counts new records; "written" in the data also counts updates.
      var shown = { read: run.read, mapped: run.mapped, written: run.created, updated: run.updated,
                    unchanged: run.unchanged, failed: run.failed };
      Object.keys(shown).forEach(function (name) {
        var el = document.querySelector('[data-count="' + name + '"]');
        if (el) { el.textContent = shown[name]; }
      });
      var tp = document.querySelector('[data-count="throughput"]');
      if (tp) { tp.textContent = run.throughput === null ? "–" : run.throughput; }
    }
    if (window.EkyamDiagram) { window.EkyamDiagram.render(data); }
    document.querySelectorAll("[data-when-enabled]").forEach(function (el) { el.hidden = !data.enabled; });
    document.querySelectorAll("[data-when-disabled]").forEach(function (el) { el.hidden = data.enabled; });
    text("open-errors", data.open_errors);
    var open = {};
    (data.recent_errors || []).forEach(function (e) { open[String(e.id)] = true; });
    var rows = document.querySelectorAll("#record-errors tr[data-error]");
    var shown = {};
    rows.forEach(function (row) {
      var id = row.getAttribute("data-error");
      shown[id] = true;
      // Resolved (or retried successfully): it leaves the list of open errors.
      if (!open[id] && data.open_errors <= 10) { row.remove(); }
    });
    var unseen = Object.keys(open).some(function (id) { return !shown[id]; });
    document.getElementById("errors-changed").hidden = !unseen;
    if (window.EkyamOutcomes) { window.EkyamOutcomes.render(data); }
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + "/ws/workflows/" + workflowId + "/");
    socket.onopen = function () {
      delay = 500;
      statusLine.textContent = "Live updates on.";
      socket.send(JSON.stringify({ type: "refresh" }));
    };
    socket.onmessage = function (event) {
      var message = JSON.parse(event.data);
      if (message.type === "status") { render(message.data); }
    };
    socket.onclose = function (event) {
      if (event.code === 4401 || event.code === 4404) {
        statusLine.textContent = "Live updates unavailable.";
        return;
      }
      statusLine.textContent = "Live updates reconnecting…";
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 10000);
    };
  }
  // Enable, Pause and Run now post in the background; the WebSocket brings the new state.
  document.querySelectorAll("form[data-live-form]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("button");
      button.disabled = true;
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { "X-Requested-With": "fetch" },
        credentials: "same-origin",
      }).then(function (response) {
        return response.ok ? response.json() : { message: "The request failed (" + response.status + ").", level: "error" };
      }).then(function (result) {
        var box = document.getElementById("live-message");
        box.textContent = result.message;
        box.className = "message " + result.level;
        if (result.run_id) { box.dataset.run = String(result.run_id); } else { delete box.dataset.run; }
        if (socket && socket.readyState === WebSocket.OPEN) { socket.send(JSON.stringify({ type: "refresh" })); }
      }).catch(function () {
        form.submit();
      }).finally(function () { button.disabled = false; });
    });
  });
  connect();
})();
