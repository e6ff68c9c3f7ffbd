/* Flight page: the track on a map (set-aside positions crossed out) and the altitude and
   ground-speed profile (uPlot). */
"use strict";

(async () => {
  const doc = BW.data();
  const m = BW.map("map");
  const ends = [doc.takeoff, doc.landing].filter((e) => e);
  const note = document.getElementById("track-note");
  let track;
  try {
    track = await BW.json(doc.track_url);
  } catch (error) {
    note.textContent = `Could not load the track: ${error.message}`;
    m.setView([30, 30], 3);
    return;
  }
  const line = L.polyline(BW.points(track), { color: "#4e79a7", weight: 3, className: "flight-track" }).addTo(m);
  const n = track.lat.length;
  if (n) {
    L.circleMarker([track.lat[0], track.lon[0]], { radius: 5, color: "#2ca02c", fillOpacity: 1, className: "track-start" }).bindTooltip("first position").addTo(m);
    L.circleMarker([track.lat[n - 1], track.lon[n - 1]], { radius: 5, color: "#d62728", fillOpacity: 1, className: "track-end" }).bindTooltip("last position").addTo(m);
  }
  for (const p of track.set_aside) {
    L.marker([p.lat, p.lon], { icon: L.divIcon({ className: "aside-icon", html: "×", iconSize: [16, 16] }) })
      .bindTooltip(`set aside: ${p.reason} (${BW.when(p.time)})`).addTo(m);
  }
  const bounds = line.getBounds();
  for (const e of ends) {
    if (e.lat === null) continue;
    L.circleMarker([e.lat, e.lon], { radius: 4, color: "#333", weight: 1, fillColor: "#fff", fillOpacity: 1, className: "airport-marker" })
      .bindTooltip(e.name, { direction: "right", offset: [6, 0], className: "airport-label" }).addTo(m);
    bounds.extend([e.lat, e.lon]);
  }
  if (doc.landing && doc.landing.inferred && n) {
    L.polyline([[track.lat[n - 1], track.lon[n - 1]], [doc.landing.lat, doc.landing.lon]], {
      color: "#4e79a7", weight: 3, dashArray: "1 6", className: "dark-gap",
    }).bindTooltip("not seen: the inferred approach").addTo(m);
  }
  if (bounds.isValid()) m.fitBounds(bounds, { padding: [24, 24] });
  note.textContent = `${track.positions} positions${track.set_aside.length ? `, ${track.set_aside.length} set aside` : ""}.`;

  const box = document.getElementById("profile");
  const width = Math.max(320, box.clientWidth - 16);
  const opts = {
    width,
    height: 260,
    scales: { x: { time: true }, ft: { auto: true }, kt: { auto: true } },
    series: [
      { label: "UTC" },
      { label: "altitude (ft)", scale: "ft", stroke: "#1f3a5f", width: 2, spanGaps: false },
      { label: "ground speed (kt)", scale: "kt", stroke: "#f28e2b", width: 1.5, spanGaps: false },
    ],
    axes: [
      { values: (u, splits) => splits.map((t) => new Date(t * 1000).toISOString().slice(11, 16)) },
      { scale: "ft", label: "ft", size: 60 },
      { scale: "kt", label: "kt", side: 1, grid: { show: false }, size: 50 },
    ],
    legend: { live: false },
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
  };
  // eslint-disable-next-line no-new
  new uPlot(opts, [track.t, track.alt_ft, track.gs_kt], box);
})();
