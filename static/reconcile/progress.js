/* A running plan's or reconciliation's progress box: polls its JSON until it finishes. */
(function () {
  const box = document.getElementById("progress");
  if (box.dataset.running !== "1") return;
  let polls = 0;
  const poll = async () => {
    polls += 1;
    const response = await fetch(box.dataset.url, {headers: {Accept: "application/json"}});
    if (response.ok) {
      const data = await response.json();
      for (const span of box.querySelectorAll("[data-field]")) {
        const value = data[span.dataset.field];
        span.textContent = value === "" || value == null ? span.dataset.empty || "" : value;
      }
      if (data.status === "succeeded" || data.status === "failed") { window.location.reload(); return; }
    }
    if (polls < 1800) setTimeout(poll, 1000);
  };
  setTimeout(poll, 1000);
})();
