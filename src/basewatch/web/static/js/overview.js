/* Bases overview: every watched base on one map, linked to its page; the bases with recent
   visits are named on the map (drawn last, on top), the others on hover. */
"use strict";

(() => {
  const doc = BW.data();
  if (!doc.bases.length) return;
  const m = BW.map("map");
  const bounds = L.latLngBounds([]);
  const quietFirst = doc.bases.slice().sort((a, b) => a.visits.last_30_days - b.visits.last_30_days);
  for (const b of quietFirst) {
    const recent = b.visits.last_30_days;
    const marker = L.circleMarker([b.lat, b.lon], {
      radius: 6 + Math.min(10, Math.sqrt(recent) * 2), color: "#1f3a5f", weight: 2,
      fillColor: b.badges.some((x) => x.kind === "resumption" || x.kind === "surge") ? "#d62728" : "#4e79a7",
      fillOpacity: 0.8, className: "base-marker",
    });
    marker.bindTooltip(`${b.title}: ${recent} ${recent === 1 ? "visit" : "visits"} in 30 days`, {
      permanent: recent > 0, direction: "right", offset: [8, 0], className: "base-label",
    });
    marker.on("click", () => { window.location.href = b.url; });
    marker.addTo(m);
    bounds.extend([b.lat, b.lon]);
  }
  m.fitBounds(bounds.pad(0.25), { maxZoom: 6 });
})();
