// Gancang's own script: no inline handlers anywhere (the CSP forbids them).
// Forms whose submit button has data-confirm ask first; without JS the server-side
// confirmation page or the button's plain meaning applies.
document.addEventListener("submit", (event) => {
  const button = event.submitter;
  const message = button && button.dataset.confirm;
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});
// A second click on a submitting form does nothing (double-clicked "place order" makes one order;
// the server guards it too).
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (event.defaultPrevented || form.hasAttribute("hx-post") || form.hasAttribute("hx-get")) return;
  if (form.dataset.submitting) { event.preventDefault(); return; }
  form.dataset.submitting = "1";
  setTimeout(() => { delete form.dataset.submitting; }, 8000);
});
