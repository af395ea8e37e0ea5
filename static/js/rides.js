// Ijen rides. The pick-up's pin is the map picker's (static/js/map.js).
// Without JavaScript, the night picker carries a typed pick-up in hidden fields; with it, htmx
// includes the live fields instead, and the hidden copies (stale once the tourist types again)
// would take priority over them: they go.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll(".night-picker [data-carry]").forEach((input) => input.remove());
});
// The booking form says JavaScript runs (so the card page will work): without it, no seat is held.
document.addEventListener("submit", (event) => {
  const flag = event.target.querySelector("input[name=js]");
  if (flag) flag.value = "on";
});
