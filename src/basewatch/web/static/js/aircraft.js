/* Aircraft page: its flights on a map, first to last position, the latest as tracks. */
"use strict";

(() => {
  const doc = BW.data();
  const flights = doc.flights;
  const MAX_TRACKS = 20;
  const m = BW.map("map");
  BW.airports(m, doc.airports);
  const bounds = L.latLngBounds([]);
  for (const f of flights) {
    if (f.first[0] === null || f.last[0] === null) continue;
    L.polyline([f.first, f.last], { color: "#8a8a8a", weight: 1, dashArray: "3 4", interactive: false, className: "flight-chord" }).addTo(m);
    bounds.extend(f.first).extend(f.last);
  }
  for (const a of doc.airports) bounds.extend([a.lat, a.lon]);
  if (bounds.isValid()) m.fitBounds(bounds.pad(0.1), { maxZoom: 9 });
  else m.setView([30, 30], 3);

  const latest = flights.slice(-MAX_TRACKS);
  if (flights.length > MAX_TRACKS) {
    document.getElementById("track-note").textContent = `Older flights show as dashed chords.`;
  }
  const queue = latest.slice();
  const worker = async () => {
    while (queue.length) {
      const f = queue.shift();
      try {
        const track = await BW.json(`${f.track_url}?max_points=500`);
        L.polyline(BW.points(track), { color: "#4e79a7", weight: 2, opacity: 0.85, className: "flight-track" })
          .bindTooltip(`${f.callsign || f.flight_id}: ${f.from_name} → ${f.to_name}, ${BW.when(f.first_seen)}`)
          .on("click", () => { window.location.href = `/flights/${f.flight_id}`; })
          .addTo(m);
      } catch (error) {
        console.warn(`track of ${f.flight_id}:`, error.message);
      }
    }
  };
  Promise.all([worker(), worker(), worker()]);
})();
