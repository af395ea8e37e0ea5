// Gancang's own script: no inline handlers anywhere (the CSP forbids them).
// Forms whose submit button has data-confirm ask first; without JS the server-side
// confirmation page or the button's plain meaning applies.
// Once confirmed here, a hidden confirmed=1 tells the server not to ask again on its own page.
document.addEventListener("submit", (event) => {
  const button = event.submitter;
  const message = button && button.dataset.confirm;
  if (!message) return;
  if (!window.confirm(message)) {
    event.preventDefault();
  } else if (!event.target.querySelector("input[name=confirmed]")) {
    const confirmed = document.createElement("input");
    Object.assign(confirmed, { type: "hidden", name: "confirmed", value: "1" });
    event.target.append(confirmed);
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
// A polled section carries the version it shows (data-etag). An answer with that same version
// (the server said 304 and the browser handed over its cached copy) changes nothing: swapping
// it in would close what the user opened there and wipe what they were typing.
// (A compressed answer's ETag ends in its encoding, ":br", put there by Flask-Compress.)
document.addEventListener("htmx:beforeSwap", (event) => {
  const shown = event.detail.target.dataset.etag;
  const answer = (event.detail.xhr.getResponseHeader("ETag") || "").replace(/^W\//, "").replaceAll('"', "");
  if (shown && (answer === shown || answer.startsWith(shown + ":"))) event.detail.shouldSwap = false;
});
// A refused form: focus a summary whose links lead to each field to correct.
function summariseErrors(root) {
  const bad = [...root.querySelectorAll('[aria-invalid="true"]')];
  const form = bad.length && bad[0].closest("form");
  if (!form || (form.previousElementSibling || {}).className === "error-summary") return;
  const box = document.createElement("div");
  Object.assign(box, { className: "error-summary", tabIndex: -1 });
  box.setAttribute("role", "alert");
  box.innerHTML = "<p></p><ul></ul>";
  box.firstChild.textContent = document.documentElement.lang === "id" ? "Mohon periksa:" : "Please check:";
  for (const field of bad) {
    const label = field.labels && field.labels[0];
    const a = document.createElement("a");
    a.href = "#" + field.id;
    a.textContent = (label ? [...label.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent).join(" ").trim() : "") || field.name;
    a.onclick = (event) => { event.preventDefault(); field.focus(); };
    const li = document.createElement("li");
    li.append(a);
    box.lastChild.append(li);
  }
  form.before(box);
  box.focus();
}
document.addEventListener("DOMContentLoaded", () => summariseErrors(document));
document.addEventListener("htmx:afterSettle", (event) => summariseErrors(event.target));
