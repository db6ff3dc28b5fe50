/* Shared by the live pages: colour the diagram's boxes and arrows (both drawings, wide and stacked) and
   keep the Sync step's sign current — green On, amber with the reason, grey Off — from each pushed status.
   The wording matches workflows/wizard/diagram.py. */
window.EkyamDiagram = (function () {
  "use strict";
  var SIGN_CHARS = 24;

  function clip(text, limit) {
    return text.length <= limit ? text : text.slice(0, limit - 1).replace(/\s+$/, "") + "…";
  }

  function render(data) {
    Object.keys(data.nodes || {}).forEach(function (key) {
      document.querySelectorAll('[data-node="' + key + '"]').forEach(function (node) {
        node.setAttribute("class", "node " + data.nodes[key].state);
        node.setAttribute("data-state", data.nodes[key].state);
      });
    });
    var running = data.current_run && data.current_run.status === "running";
    (data.edges || []).forEach(function (edge) {
      var selector = '[data-source="' + edge.source + '"][data-target="' + edge.target + '"] line';
      document.querySelectorAll(selector).forEach(function (line) {
        line.setAttribute("class", "edge " + edge.state + (running ? " flowing" : ""));
      });
    });
    var tone = data.state === "on" ? "on" : data.state === "off" ? "off" : "amber";
    var label = data.state === "on" ? "On" : data.state === "off" ? "Off" : clip(data.reason || "Not on", SIGN_CHARS);
    var tip = data.state === "on" ? "On: connectivity, configuration and liveness all hold" : label + ": " + data.reason;
    document.querySelectorAll("[data-sign]").forEach(function (sign) {
      sign.setAttribute("class", "step-sign " + tone);
      sign.setAttribute("data-state", data.state);
      sign.querySelector("text").textContent = label;
      sign.querySelector("title").textContent = tip;
    });
  }

  return { render: render };
})();
