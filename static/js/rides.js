// Ijen rides. The pick-up's pin is the map picker's (static/js/map.js); the night picker carries
// the pick-up to another night through htmx (templates/rides/package.html).
// The booking form says JavaScript runs (so the card page will work): without it, no seat is held.
document.addEventListener("submit", (event) => {
  const flag = event.target.querySelector("input[name=js]");
  if (flag) flag.value = "on";
});
