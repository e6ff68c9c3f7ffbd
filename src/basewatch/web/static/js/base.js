/* Base page: the map (one marker per visit, arrival tracks), the timeline and the visit table
   open a visit's evidence in the side panel. */
"use strict";

(() => {
  const doc = BW.data();
  const base = doc.base;
  const visits = doc.visits;
  const byNumber = new Map(visits.map((v) => [v.number, v]));
  const SOURCE_NAMES = { adsb: "ADS-B", mlat: "MLAT", tisb: "TIS-B", adsr: "ADS-R", modes: "Mode S" };
  const MAX_TRACKS = 30;

  for (const swatch of document.querySelectorAll(".swatch[data-colour]")) {
    swatch.style.backgroundColor = swatch.dataset.colour;
  }

  const m = BW.map("map");
  m.createPane("tracks").classList.add("tracks-pane");
  const trackRenderer = L.svg({ pane: "tracks" });
  BW.baseCircle(m, base);
  BW.airports(m, doc.airports);

  const markers = new Map();
  // the base and its approaches: 250 km each way (more for a wide radius)
  const bounds = L.latLng(base.lat, base.lon).toBounds(Math.max(base.radius_km * 6000, 500000));
  for (const v of visits) {
    const at = [v.arrival_lat ?? base.lat, v.arrival_lon ?? base.lon];
    const marker = L.circleMarker(at, {
      radius: 7, color: v.colour, weight: 2.5, fillColor: v.inferred ? "#ffffff" : v.colour,
      fillOpacity: 1, className: `visit-marker visit-${v.number}`,
    });
    marker.bindTooltip(`#${v.number} ${v.aircraft_label}, ${BW.when(v.arrival_time)}${v.inferred ? " (inferred)" : ""}`);
    marker.on("click", () => open(v.number));
    marker.addTo(m);
    markers.set(v.number, marker);
    bounds.extend(at);
  }
  m.fitBounds(bounds, { maxZoom: 11 });

  /* Arrival tracks of the latest visits, a few requests at a time. */
  async function loadTracks() {
    const latest = visits.slice(-MAX_TRACKS);
    if (visits.length > MAX_TRACKS) {
      document.getElementById("track-note").textContent = `Tracks of the ${MAX_TRACKS} latest visits are drawn.`;
    }
    const queue = latest.slice();
    const worker = async () => {
      while (queue.length) {
        const v = queue.shift();
        try {
          const track = await BW.json(`/api/flights/${encodeURIComponent(v.flight_id)}/track?max_points=400`);
          L.polyline(BW.points(track), {
            renderer: trackRenderer, color: v.colour, weight: 2, opacity: 0.75,
            className: `arrival-track track-${v.number}`,
          }).on("click", () => open(v.number)).addTo(m);
        } catch (error) {
          console.warn(`track of ${v.flight_id}:`, error.message);
        }
      }
    };
    await Promise.all([worker(), worker(), worker()]);
  }
  loadTracks();

  /* The opened visit's own layers: its tracks highlighted, departure dashed, dark stretch. */
  let opened = L.layerGroup().addTo(m);
  const panel = document.getElementById("evidence");

  function select(number) {
    for (const row of document.querySelectorAll("tr.visit")) {
      row.classList.toggle("selected", Number(row.dataset.visit) === number);
    }
    for (const mark of document.querySelectorAll("#timeline circle.visit")) {
      mark.classList.toggle("selected", Number(mark.dataset.visit) === number);
    }
    for (const [n, marker] of markers) marker.setRadius(n === number ? 10 : 7);
  }

  function positionsText(p) {
    if (!p) return "none (every position of the flight was set aside)";
    const kinds = Object.entries(p.by_source).map(([k, n]) => `${SOURCE_NAMES[k] || k} ${n}`).join(", ");
    return `${p.count} positions, ${p.first_seen.slice(11, 19)}Z–${p.last_seen.slice(11, 19)}Z (${kinds}); closest approach ${p.closest_km.toFixed(2)} km from the base`;
  }

  function row(label, ...value) {
    return BW.el("div", {}, BW.el("dt", { text: label }), BW.el("dd", {}, ...value));
  }

  function render(v, ev) {
    const facts = BW.el("dl", { class: "facts" },
      row("Arrival", BW.when(v.arrival_time), " from ", v.origin_name),
      row("Seen", ev.inferred ? `inferred, confidence ${(ev.confidence ?? 0).toFixed(2)}` : "observed"),
      row("Positions used", positionsText(ev.positions)),
    );
    const aside = Object.entries(ev.set_aside);
    if (aside.length) {
      facts.append(row("Set aside, not used", aside.map(([reason, n]) => `${n} ${reason}`).join(", ")));
    }
    if (v.departure_time) {
      facts.append(row("Departure", BW.when(v.departure_time), " to ", v.destination_name || "?"));
    }
    facts.append(row("Classification", `${v.verdict || "unknown"}`));
    const reasons = BW.el("ul", { class: "reasons" }, v.reasons.map((r) => BW.el("li", { text: r })));
    const sources = BW.el("ul", { class: "sources" }, ev.sources.map((s) => BW.el("li", {},
      BW.el("span", { class: "path", text: s.path }), ` (${s.format}, ${s.positions} positions)`,
      BW.el("br"), BW.el("code", { class: "sha256", title: "sha256", text: s.sha256 }),
    )));
    const links = BW.el("p", { class: "links" },
      BW.el("a", { href: `/flights/${ev.flight_id}`, text: "arrival flight" }),
      ev.departure_flight_id ? [" · ", BW.el("a", { href: `/flights/${ev.departure_flight_id}`, text: "departure flight" })] : [],
      " · ", BW.el("a", { href: `/aircraft/${v.icao24}`, text: "aircraft" }),
      " · ", BW.el("a", { href: v.evidence_url, text: "JSON" }),
    );
    panel.replaceChildren(
      BW.el("h2", { text: `Visit ${v.number}: ${v.aircraft_label}` }),
      BW.el("p", { class: "reasoning", text: ev.reasoning }),
      facts,
      BW.el("h3", { text: "Data sources (files or feeds, sha256)" }), sources,
      BW.el("h3", { text: "Why it counts as watched" }), reasons,
      links,
    );
  }

  function draw(v, ev) {
    opened.remove();
    opened = L.layerGroup().addTo(m);
    const arrival = L.polyline(BW.points(ev.tracks.arrival), {
      renderer: trackRenderer, color: v.colour, weight: 4.5, opacity: 1, className: "opened-arrival",
    }).addTo(opened);
    const area = arrival.getBounds().extend([base.lat, base.lon]);  // the approach in view
    if (ev.tracks.departure) {
      L.polyline(BW.points(ev.tracks.departure), {
        renderer: trackRenderer, color: v.colour, weight: 3, dashArray: "7 6", className: "opened-departure",
      }).addTo(opened);
    }
    if (ev.dark_gap) {
      const [la, lo, lb, lob] = ev.dark_gap;
      L.polyline([[la, lo], [lb, lob]], {
        renderer: trackRenderer, color: v.colour, weight: 3, dashArray: "1 6", className: "dark-gap",
      }).bindTooltip("went dark here, heading for the base").addTo(opened);
    }
    if (area.isValid()) m.fitBounds(area, { padding: [24, 24], maxZoom: 11 });
  }

  async function open(number) {
    const v = byNumber.get(number);
    if (!v) return;
    select(number);
    history.replaceState(null, "", `#visit-${number}`);
    panel.replaceChildren(BW.el("h2", { text: `Visit ${v.number}: ${v.aircraft_label}` }), BW.el("p", { class: "hint", text: "Loading the evidence…" }));
    try {
      const ev = await BW.json(v.evidence_url);
      render(v, ev);
      draw(v, ev);
    } catch (error) {
      panel.append(BW.el("p", { class: "note", text: `Could not load the evidence: ${error.message}` }));
    }
  }

  for (const mark of document.querySelectorAll("#timeline circle.visit")) {
    mark.addEventListener("click", () => open(Number(mark.dataset.visit)));
  }
  for (const tr of document.querySelectorAll("tr.visit")) {
    tr.addEventListener("click", (event) => {
      if (event.target.closest("a")) return;
      open(Number(tr.dataset.visit));
    });
    tr.addEventListener("keydown", (event) => {
      if (event.key === "Enter") open(Number(tr.dataset.visit));
    });
  }
  const wanted = /^#visit-(\d+)$/.exec(location.hash);
  if (wanted) open(Number(wanted[1]));
})();
