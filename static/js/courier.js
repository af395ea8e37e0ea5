// Couriers: while a job is on the road, the phone's position goes to the customer's map.
// Geolocation's watchPosition; the newest fix is sent at most once per interval (15 s), to each
// job on the page that asks for it ([data-position-url]); a job the server calls finished (409,
// handover done or job taken back) is dropped, and with no job left the watch stops. Without
// JavaScript or without permission nothing is shared: the customer sees the status as text.
(() => {
  const targets = [...document.querySelectorAll("[data-position-url]")];
  if (!targets.length) return;
  const say = (key) => targets.forEach((el) => {
    const text = el.dataset[key];
    const out = el.querySelector("[data-position-status]") || el;
    if (text) out.textContent = text;
  });
  if (!("geolocation" in navigator)) { say("textUnavailable"); return; }

  const interval = Math.max(1, Number(targets[0].dataset.interval || 15)) * 1000;
  let latest = null;
  let lastSent = 0;
  let timer = null;
  let live = targets.slice();

  function send() {
    timer = null;
    if (!latest || !live.length) return;
    lastSent = Date.now();
    const fix = latest;
    live.forEach((el) => {
      const body = new FormData();
      body.append("csrf_token", el.dataset.csrf);
      body.append("lat", fix.latitude.toFixed(6));
      body.append("lng", fix.longitude.toFixed(6));
      if (Number.isFinite(fix.accuracy)) body.append("accuracy", Math.round(fix.accuracy));
      fetch(el.dataset.positionUrl, { method: "POST", body, credentials: "same-origin" })
        .then((answer) => {
          if (answer.status === 204) {
            const out = el.querySelector("[data-position-status]") || el;
            out.textContent = el.dataset.textSharing;
          } else if (answer.status === 409 || answer.status === 404) {
            const out = el.querySelector("[data-position-status]") || el;
            out.textContent = el.dataset.textStopped;
            live = live.filter((other) => other !== el);
            if (!live.length) stop();
          }
        })
        .catch(() => {}); // offline for a moment: the next fix tries again
    });
  }

  function schedule() {
    if (timer) return;
    const wait = Math.max(0, lastSent + interval - Date.now());
    timer = setTimeout(send, wait);
  }

  const watch = navigator.geolocation.watchPosition(
    (pos) => { latest = pos.coords; schedule(); },
    (error) => { if (error.code === error.PERMISSION_DENIED) say("textDenied"); },
    { enableHighAccuracy: true, maximumAge: 10000, timeout: 30000 },
  );

  function stop() {
    navigator.geolocation.clearWatch(watch);
    if (timer) clearTimeout(timer);
    timer = null;
  }
  window.addEventListener("pagehide", stop);
  // Handing over (the "Delivered" or "Could not deliver" form) ends the sharing right away.
  document.addEventListener("submit", (event) => {
    if (event.target.matches("[data-ends-sharing]")) stop();
  });
})();
