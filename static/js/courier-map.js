// The courier on the customer's map (templates/couriers/_position.html). The text beside the map
// (ETA, last seen) is the page without JavaScript; this draws the courier, the pick-up and the
// drop-off with Leaflet, loaded only once a page actually has a position to show. The map's
// canvas is kept across the tracking block's polls (hx-preserve): each new answer only moves the
// courier's pin, so the map does not flicker or reload its tiles, and a reader's zoom stays.
(() => {
  if (window.gancangCourierMap) { window.gancangCourierMap(); return; } // re-run by an htmx swap

  const COLOURS = { courier: "#0b57d0", pickup: "#b3261e", dropoff: "#1f6f43" };
  const drawn = new Map(); // canvas id -> { map, courier, accuracy }
  let leaflet = null; // a promise, once loading started

  function loadLeaflet(holder) {
    if (window.L) return Promise.resolve();
    if (leaflet) return leaflet;
    leaflet = new Promise((resolve, reject) => {
      const css = document.createElement("link");
      css.rel = "stylesheet";
      css.href = holder.dataset.leafletCss;
      document.head.append(css);
      const script = document.createElement("script");
      script.src = holder.dataset.leafletJs;
      script.onload = resolve;
      script.onerror = reject;
      document.head.append(script);
    });
    return leaflet;
  }

  function dot(point, kind, radius) {
    return L.circleMarker(point, {
      radius, color: "#fff", weight: 2, fillColor: COLOURS[kind], fillOpacity: 1, interactive: false,
      className: `courier-map-${kind}`,
    });
  }

  function setup(holder, data, canvas) {
    const d = holder.dataset;
    canvas.hidden = false;
    const map = L.map(canvas, { scrollWheelZoom: false, zoomSnap: 0.5 });
    map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
    L.tileLayer(d.tiles, { attribution: d.attribution, maxZoom: 19 }).addTo(map);
    dot(data.pickup, "pickup", 8).addTo(map);
    if (data.target !== "pickup") dot(data.dropoff, "dropoff", 8).addTo(map); // a ride: the pick-up is the goal
    const accuracy = L.circle(data.courier, {
      radius: data.accuracy || 0, color: COLOURS.courier, weight: 1, fillOpacity: 0.1, interactive: false,
    }).addTo(map);
    const courier = dot(data.courier, "courier", 10).addTo(map);
    const stops = data.target === "pickup" ? [data.courier, data.pickup] : [data.courier, data.pickup, data.dropoff];
    map.fitBounds(L.latLngBounds(stops), { padding: [24, 24], maxZoom: 16 });
    return { map, courier, accuracy };
  }

  function move(state, data) {
    state.map.invalidateSize();
    state.courier.setLatLng(data.courier);
    state.accuracy.setLatLng(data.courier).setRadius(data.accuracy || 0);
    // Follow the courier only when they leave what the reader is looking at.
    if (!state.map.getBounds().pad(-0.1).contains(data.courier)) state.map.panTo(data.courier);
  }

  function draw() {
    document.querySelectorAll("[data-courier-map]").forEach((holder) => {
      const canvas = holder.querySelector("[data-courier-map-canvas]");
      if (!canvas) return;
      const data = JSON.parse(holder.dataset.courierMap);
      loadLeaflet(holder).then(() => {
        holder.querySelectorAll("[data-courier-map-legend]").forEach((legend) => { legend.hidden = false; });
        const state = drawn.get(canvas.id);
        if (state && state.map.getContainer() === canvas) move(state, data);
        else drawn.set(canvas.id, setup(holder, data, canvas));
      }).catch(() => {}); // no map: the text above it still says where the courier is
    });
  }

  window.gancangCourierMap = draw;
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
  document.addEventListener("htmx:afterSettle", draw);
})();
