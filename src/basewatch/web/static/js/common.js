/* basewatch dashboard: helpers shared by the pages (no framework; Leaflet for maps). */
"use strict";

const BW = (() => {
  const SEA = "#dbe7f0";
  const LAND = "#f4f1ea";
  const BORDER = "#b9b2a4";

  /** The page's document, embedded by the server as JSON (never executed). */
  function data() {
    const el = document.getElementById("page-data");
    return el ? JSON.parse(el.textContent) : null;
  }

  /** GET a JSON document of the API; rejects with the server's message. */
  async function json(url) {
    const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (!response.ok) {
      let message = `${response.status} ${response.statusText}`;
      try { message = (await response.json()).error || message; } catch (e) { /* not JSON */ }
      throw new Error(message);
    }
    return response.json();
  }

  /** An element with attributes and children (strings become text: nothing is parsed as HTML). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "text") node.textContent = value;
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  /** ``2025-10-24T09:05:00Z`` → ``2025-10-24 09:05Z``. */
  function when(iso) {
    return iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}Z` : "";
  }

  /** A Leaflet map without tiles: the bundled basemap (land, borders) drawn as vectors. */
  function map(id) {
    const m = L.map(id, { zoomSnap: 0.25, worldCopyJump: true, attributionControl: true, preferCanvas: false });
    m.attributionControl.setPrefix(false);
    m.attributionControl.addAttribution("Natural Earth (public domain)");
    const pane = m.createPane("basemap");
    pane.classList.add("basemap-pane");
    json("/api/basemap.geojson").then((doc) => {
      L.geoJSON(doc, {
        pane: "basemap",
        renderer: L.canvas({ pane: "basemap" }),
        interactive: false,
        style: (feature) => feature.properties.layer === "land"
          ? { stroke: true, color: "#a9b8c4", weight: 0.6, fillColor: LAND, fillOpacity: 1, fillRule: "evenodd" }
          : { color: BORDER, weight: 0.8, dashArray: "4 3", fill: false },
      }).addTo(m);
    }).catch((error) => console.warn("basemap:", error.message));
    return m;
  }

  /** The base's circle with its name. */
  function baseCircle(m, base) {
    return L.circle([base.lat, base.lon], {
      radius: base.radius_km * 1000, color: "#1f3a5f", weight: 1.5, dashArray: "5 4",
      fillColor: "#1f3a5f", fillOpacity: 0.06, interactive: false,
    }).addTo(m);
  }

  /** Small squares for airports, named. */
  function airports(m, list) {
    for (const a of list || []) {
      L.circleMarker([a.lat, a.lon], { radius: 3.5, color: "#333", weight: 1, fillColor: "#fff", fillOpacity: 1, className: "airport-marker" })
        .bindTooltip(`${a.name} (${a.icao})`, { direction: "right", offset: [6, 0], className: "airport-label" })
        .addTo(m);
    }
  }

  /** Track columns (``lat``, ``lon``) as Leaflet points. */
  function points(track) {
    const out = [];
    for (let i = 0; i < track.lat.length; i += 1) out.push([track.lat[i], track.lon[i]]);
    return out;
  }

  return { SEA, data, json, el, when, map, baseCircle, airports, points };
})();
