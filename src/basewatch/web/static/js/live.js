/* Live view: the watcher's cycles and alerts as they come (server-sent events). */
"use strict";

(() => {
  const doc = BW.data();
  const list = document.getElementById("live-events");
  const status = document.getElementById("live-status");
  const KEEP = 200;
  if (!doc.running) return;

  function add(kind, text, extra) {
    const empty = list.querySelector("li.empty");
    if (empty) empty.remove();
    list.prepend(BW.el("li", { class: `live-event ${kind}` }, BW.el("span", { class: "kind", text: kind }), " ", text, extra || []));
    while (list.children.length > KEEP) list.lastElementChild.remove();
  }

  const source = new EventSource(doc.events_url);
  source.addEventListener("status", (event) => {
    const s = JSON.parse(event.data);
    status.textContent = s.running ? `The watcher runs in this server: ${s.status}` : `The watcher is not running: ${s.status}`;
    status.className = `live-status ${s.running ? "running" : "stopped"}`;
    if (!s.running) source.close();
  });
  source.addEventListener("cycle", (event) => {
    const c = JSON.parse(event.data);
    status.textContent = `The watcher runs in this server: ${c.status}`;
    if (c.positions || c.alerts || c.rejected) {
      add("cycle", `${BW.when(c.time)}: ${c.positions} positions from ${c.responses} responses, ${c.aircraft} aircraft updated, ${c.alerts} alerts (${c.seconds} s)`);
    }
  });
  source.addEventListener("alert", (event) => {
    const a = JSON.parse(event.data);
    const link = a.icao24 ? [" ", BW.el("a", { href: `/aircraft/${a.icao24}`, text: a.icao24 })] : [];
    add("alert", `${BW.when(a.time)} `, [BW.el("strong", { text: a.title }), BW.el("br"), a.message, link]);
  });
})();
