// Ijen rides: optional pin from the phone's location. Without JS (or without permission) the
// typed address is enough; the driver calls the tourist.
function ridesLocation(root) {
  const button = root.querySelector("#use-location");
  if (!button || !("geolocation" in navigator) || button.dataset.ready) return;
  button.dataset.ready = "1";
  button.hidden = false;
  const status = root.querySelector("#location-status");
  button.addEventListener("click", () => {
    status.textContent = "…";
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        document.getElementById("latitude").value = pos.coords.latitude.toFixed(6);
        document.getElementById("longitude").value = pos.coords.longitude.toFixed(6);
        status.textContent = "✓ " + pos.coords.latitude.toFixed(4) + ", " + pos.coords.longitude.toFixed(4);
      },
      () => { status.textContent = "✗"; },
      { enableHighAccuracy: true, timeout: 10000 },
    );
  });
}
document.addEventListener("DOMContentLoaded", () => ridesLocation(document));
document.addEventListener("htmx:afterSettle", (event) => ridesLocation(event.target));
// The booking form says JavaScript runs (so the card page will work): without it, no seat is held.
document.addEventListener("submit", (event) => {
  const flag = event.target.querySelector("input[name=js]");
  if (flag) flag.value = "on";
});
