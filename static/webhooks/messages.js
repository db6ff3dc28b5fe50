/* The message list, live: the WebSocket says when the organization's messages changed, and the page
   fetches its rows again (with the same filter and page), and once more a moment later, because a
   delivery process tells at most once a second. */
(function () {
  "use strict";
  var table = document.getElementById("message-table");
  var rows = document.getElementById("message-rows");
  var status = document.getElementById("messages-live");
  if (!table || !rows || !window.WebSocket) { return; }
  var delay = 1000;
  var again = null;

  function rowsUrl() {
    var url = new URL(window.location.href);
    url.searchParams.set("rows", "1");
    return url.toString();
  }

  function refresh() {
    fetch(rowsUrl(), { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) { if (html !== null) { rows.innerHTML = html; } })
      .catch(function () { /* the next notice or reconnect refreshes */ });
  }

  function changed() {
    refresh();
    clearTimeout(again);
    again = setTimeout(refresh, 1500);
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + table.dataset.socketPath);
    socket.onopen = function () { delay = 1000; status.textContent = "Live updates on."; refresh(); };
    socket.onmessage = function (event) {
      if (JSON.parse(event.data).type === "changed") { changed(); }
    };
    socket.onclose = function (event) {
      if (event.code === 4401 || event.code === 4403) { status.textContent = "Live updates unavailable."; return; }
      status.textContent = "Live updates reconnecting…";
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  connect();
})();
