/* Shared by the live pages (the workflow page and the wizard's go-live step): the latest records of the
   run shown, each with why it was written, updated, left unchanged or failed, and clean-up of
   "Run N is queued" messages once run N has finished. */
window.EkyamOutcomes = (function () {
  "use strict";
  var FINISHED = { succeeded: true, partial: true, failed: true, cancelled: true };

  function el(tag, value, className) {
    var node = document.createElement(tag);
    if (value != null) { node.textContent = String(value); }
    if (className) { node.className = className; }
    return node;
  }

  function renderOutcomes(data) {
    var box = document.getElementById("latest-outcomes");
    var list = document.getElementById("record-outcomes");
    if (!box || !list) { return; }
    var shown = data.outcomes;
    var heading = box.querySelector("h3");
    heading.replaceChildren(document.createTextNode("Latest records"));
    if (shown) {
      var link = el("a", "run " + shown.run_id);
      link.id = "latest-outcomes-run";
      link.href = box.dataset.runUrl.replace("/0/", "/" + shown.run_id + "/");
      heading.appendChild(document.createTextNode(" of "));
      heading.appendChild(link);
    }
    var records = shown ? shown.records : [];
    if (!records.length) {
      list.replaceChildren(el("li", "No record handled yet.", "muted"));
      return;
    }
    list.replaceChildren.apply(list, records.map(function (r) {
      var li = el("li");
      li.dataset.outcome = r.outcome;
      li.appendChild(el("span", r.outcome, "badge outcome-" + r.outcome));
      li.appendChild(document.createTextNode(" "));
      var key = el("code", r.source_key);
      if (r.lineage_id) {
        var a = el("a");
        a.href = box.dataset.lineageUrl.replace("/0/", "/" + r.lineage_id + "/");
        a.appendChild(key);
        li.appendChild(a);
      } else {
        li.appendChild(key);
      }
      li.appendChild(document.createTextNode(": " + r.reason));
      return li;
    }));
  }

  function finishedRuns(data) {
    var done = {};
    (data.recent_runs || []).forEach(function (r) { if (FINISHED[r.status]) { done[String(r.id)] = r; } });
    return done;
  }

  /* A message about a queued run names it with a `run-N` class (server-rendered) or `data-run`
     (set by the page's background forms); it goes once that run has finished. */
  function dropFinishedRunMessages(data) {
    var done = finishedRuns(data);
    document.querySelectorAll(".message").forEach(function (message) {
      var match = /(?:^|\s)run-(\d+)(?:\s|$)/.exec(message.className);
      var id = message.dataset.run || (match && match[1]);
      if (!id || !done[id]) { return; }
      if (message.tagName === "LI") {
        message.remove();
      } else {
        message.textContent = "";
        message.className = "";
        delete message.dataset.run;
      }
    });
  }

  return { render: function (data) { renderOutcomes(data); dropFinishedRunMessages(data); } };
})();
