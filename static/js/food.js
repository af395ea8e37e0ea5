// Food pages: location buttons, and the owner's new-order cue (visible banner + a short beep).
// No inline handlers (the CSP forbids them); every page works without this file.
(() => {
  // "Use my location": fills the hidden or visible lat/lng inputs next to the button.
  document.querySelectorAll("[data-geo-button]").forEach((button) => {
    if (!("geolocation" in navigator)) return;
    button.hidden = false;
    button.addEventListener("click", () => {
      navigator.geolocation.getCurrentPosition((pos) => {
        const form = button.closest("form");
        form.querySelector("[data-geo=lat]").value = pos.coords.latitude.toFixed(6);
        form.querySelector("[data-geo=lng]").value = pos.coords.longitude.toFixed(6);
        if (form.method.toLowerCase() === "get") form.requestSubmit();
      });
    });
  });

  // Incoming orders: the board polls itself; when a newer "placed" order appears, show and beep.
  const alertBox = document.getElementById("new-order-alert");
  if (!alertBox) return;
  let newest = Number((document.getElementById("board") || {}).dataset?.newest || 0);
  let audio = null;
  const soundButton = document.querySelector("[data-sound-toggle]");
  if (soundButton && (window.AudioContext || window.webkitAudioContext)) {
    soundButton.hidden = false;
    soundButton.addEventListener("click", () => {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      soundButton.hidden = true;
      beep();
    });
  }
  function beep() {
    if (!audio) return;
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = 880;
    gain.gain.value = 0.2;
    osc.connect(gain).connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.4);
  }
  document.body.addEventListener("htmx:afterSwap", (event) => {
    const board = document.getElementById("board");
    const swapped = event.detail.target || event.detail.elt;
    if (!board || !swapped || swapped.id !== "board") return;
    const latest = Number(board.dataset.newest || 0);
    if (latest > newest) {
      alertBox.hidden = false;
      beep();
      if (navigator.vibrate) navigator.vibrate(300);
      document.title = "● " + document.title.replace(/^● /, "");
    }
    newest = Math.max(newest, latest);
  });
})();
