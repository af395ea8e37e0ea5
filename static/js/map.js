// The map picker: progressive enhancement of an address field and its hidden latitude/longitude
// inputs (templates/_map.html). Without this file (or without JavaScript) the address alone is
// sent and the server finds the pin. With it: a Leaflet map; tap the map or drag the pin to set
// the point, "use my location" (Geolocation), and an address search through OUR server
// (/maps/search, which asks the geocoder). No inline handlers: the CSP forbids them.
(() => {
  if (!window.L) return;

  const fixed = (n) => Number(n).toFixed(6);

  function setup(root) {
    if (root.dataset.mapReady) return;
    root.dataset.mapReady = "1";
    const d = root.dataset;
    const lat = root.querySelector("[data-geo=lat]");
    const lng = root.querySelector("[data-geo=lng]");
    const address = root.querySelector("[data-map-address]");
    const tools = root.querySelector("[data-map-tools]");
    const canvas = root.querySelector("[data-map-canvas]");
    const status = root.querySelector("[data-map-status]");
    const query = root.querySelector("[data-map-query]");
    const find = root.querySelector("[data-map-find]");
    const results = root.querySelector("[data-map-results]");
    const locate = root.querySelector("[data-map-locate]");
    if (!lat || !lng || !canvas) return;
    tools.hidden = false;

    L.Icon.Default.imagePath = d.images;
    const centre = d.center.split(",").map(Number);
    const hasPin = lat.value !== "" && lng.value !== "";
    const start = hasPin ? [Number(lat.value), Number(lng.value)] : centre;
    const map = L.map(canvas, { center: start, zoom: hasPin ? 17 : 13, scrollWheelZoom: false });
    map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
    L.tileLayer(d.tiles, { attribution: d.attribution, maxZoom: 19 }).addTo(map);
    const marker = L.marker(start, {
      draggable: true,
      autoPan: true,
      alt: d.pinLabel,
      title: d.pinLabel,
      keyboard: false, // its focus would go nowhere: the search and the buttons are the keyboard way
    });
    if (hasPin) marker.addTo(map);

    function say(text) {
      if (status) status.textContent = text;
    }

    function fillAddress(point) {
      if (!address || address.value.trim() || !d.reverseUrl) return;
      fetch(`${d.reverseUrl}?lat=${fixed(point.lat)}&lng=${fixed(point.lng)}`, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      })
        .then((r) => (r.ok ? r.json() : null))
        .then((answer) => {
          if (answer && answer.name && !address.value.trim()) address.value = answer.name;
        })
        .catch(() => {});
    }

    const pinFor = root.querySelector("[data-pin-for]");

    function put(point, { zoom = null, fill = true } = {}) {
      lat.value = fixed(point.lat);
      lng.value = fixed(point.lng);
      if (pinFor) pinFor.value = ""; // the user's own pin now: the server keeps it whatever the address says
      marker.setLatLng(point);
      if (!map.hasLayer(marker)) marker.addTo(map);
      if (zoom) map.setView(point, zoom);
      else map.panTo(point);
      say(d.textPinSet);
      lat.dispatchEvent(new Event("change", { bubbles: true }));
      if (fill) fillAddress(point);
    }

    map.on("click", (event) => put(event.latlng));
    marker.on("dragend", () => put(marker.getLatLng()));

    if (locate && "geolocation" in navigator) {
      locate.hidden = false;
      locate.addEventListener("click", () => {
        say(d.textLocating);
        navigator.geolocation.getCurrentPosition(
          (pos) => put(L.latLng(pos.coords.latitude, pos.coords.longitude), { zoom: 17 }),
          () => say(d.textNoLocation),
          { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
        );
      });
    }

    function showResults(places, message) {
      results.replaceChildren();
      places.forEach((place) => {
        const item = document.createElement("li");
        const button = document.createElement("button");
        button.type = "button";
        button.className = "link-button";
        button.textContent = place.name;
        button.addEventListener("click", () => {
          if (address && !address.value.trim()) address.value = place.name;
          put(L.latLng(place.lat, place.lng), { zoom: 17, fill: false });
          results.replaceChildren();
        });
        item.append(button);
        results.append(item);
      });
      say(message || (places.length ? d.textChoose : ""));
    }

    function search() {
      const text = query.value.trim();
      if (!text) return;
      say(d.textSearching);
      fetch(`${d.searchUrl}?q=${encodeURIComponent(text)}`, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      })
        .then((r) => r.json().catch(() => ({ results: [], error: d.textSearchFailed })))
        .then((answer) => showResults(answer.results || [], answer.error))
        .catch(() => showResults([], d.textSearchFailed));
    }

    if (find && query) {
      find.addEventListener("click", search);
      // Enter in the search box searches; it must not submit the order form around it.
      query.addEventListener("keydown", (event) => {
        if (event.key === "Enter") {
          event.preventDefault();
          search();
        }
      });
    }
    // A map drawn while hidden (a closed <details>, a swapped-in fragment) needs its size again.
    new ResizeObserver(() => map.invalidateSize()).observe(canvas);
  }

  const scan = (scope) => scope.querySelectorAll("[data-map-picker]").forEach(setup);
  scan(document);
  document.addEventListener("htmx:load", (event) => scan(event.detail.elt.parentNode || document));
})();
