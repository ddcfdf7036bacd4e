/* dsr: keyboard shortcuts for signed-in staff (loaded with defer by templates/base.html).
 *
 * Every text a person reads is in the templates (the help dialog #shortcuts-help is rendered by the
 * server in the chosen language); this script only finds elements by their data attributes, shows and
 * hides the dialog and moves focus. No user-visible strings here.
 *
 *   ?          help dialog (also the "Sneltoetsen (?)" button in the header)
 *   g then q   the queue            g then a   approvals (directors)
 *   /          the queue's first filter field
 *   j / k      next / previous case link in the queue
 *   1 .. 9     open the n-th step form on a case page and focus its first field
 *   h          the case history
 *
 * WCAG 2.1.4: single-key shortcuts can be switched off in the dialog; the choice is kept in
 * localStorage ("dsr-shortcuts" = "off"). Keys never act while typing in a field or with Ctrl/Alt/Meta.
 */
(function () {
  "use strict";

  var STORAGE_KEY = "dsr-shortcuts";
  var PREFIX_MS = 1500;
  var dialog = document.getElementById("shortcuts-help");
  var opener = document.querySelector("[data-shortcuts-open]");
  var toggle = document.getElementById("shortcuts-enabled");
  if (!dialog || !opener) { return; }

  var pendingG = false;
  var pendingTimer = null;
  var returnFocus = null;

  function enabled() {
    try { return window.localStorage.getItem(STORAGE_KEY) !== "off"; } catch (e) { return true; }
  }

  function setEnabled(on) {
    try {
      if (on) { window.localStorage.removeItem(STORAGE_KEY); } else { window.localStorage.setItem(STORAGE_KEY, "off"); }
    } catch (e) { /* storage unavailable: the choice lasts for this page only */ }
    document.documentElement.setAttribute("data-shortcuts", on ? "on" : "off");
  }

  function openHelp() {
    if (dialog.open) { return; }
    returnFocus = document.activeElement;
    if (toggle) { toggle.checked = enabled(); }
    dialog.showModal();
  }

  function closeHelp() {
    if (dialog.open) { dialog.close(); }
  }

  // "close" comes as a separate task: focus goes back only if nothing else has taken it meanwhile.
  dialog.addEventListener("close", function () {
    var active = document.activeElement;
    var lost = !active || active === document.body || dialog.contains(active);
    if (lost && returnFocus && document.contains(returnFocus) && typeof returnFocus.focus === "function") {
      returnFocus.focus();
    }
    returnFocus = null;
  });
  // A click on the backdrop (outside the dialog's box) closes it too.
  dialog.addEventListener("click", function (event) {
    if (event.target === dialog) {
      var r = dialog.getBoundingClientRect();
      var inside = event.clientX >= r.left && event.clientX <= r.right && event.clientY >= r.top && event.clientY <= r.bottom;
      if (!inside) { closeHelp(); }
    }
  });
  Array.prototype.forEach.call(dialog.querySelectorAll("[data-shortcuts-close]"), function (button) {
    button.addEventListener("click", closeHelp);
  });
  if (toggle) {
    toggle.checked = enabled();
    toggle.addEventListener("change", function () { setEnabled(toggle.checked); });
  }
  opener.hidden = false;
  opener.addEventListener("click", openHelp);
  setEnabled(enabled());

  function typing(target) {
    if (!target || target.nodeType !== 1) { return false; }
    if (target.isContentEditable) { return true; }
    var tag = target.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") { return true; }
    if (tag !== "INPUT") { return false; }
    var type = (target.getAttribute("type") || "text").toLowerCase();
    return ["checkbox", "radio", "button", "submit", "reset", "image", "file", "range", "color"].indexOf(type) === -1;
  }

  function focusElement(el) {
    if (!el) { return false; }
    if (el.scrollIntoView) { el.scrollIntoView({block: "nearest"}); }
    el.focus();
    return true;
  }

  function go(letter) {
    var link = document.querySelector('[data-shortcut-go="' + letter + '"]');
    if (link && link.href) { window.location.assign(link.href); return true; }
    return false;
  }

  function moveInList(step) {
    var links = Array.prototype.slice.call(document.querySelectorAll("[data-shortcut-item]"));
    if (!links.length) { return false; }
    var at = links.indexOf(document.activeElement);
    var next = at === -1 ? (step > 0 ? 0 : links.length - 1) : Math.min(Math.max(at + step, 0), links.length - 1);
    return focusElement(links[next]);
  }

  function openStep(n) {
    var steps = document.querySelectorAll("[data-shortcut-steps] details.action");
    var details = steps[n - 1];
    if (!details) { return false; }
    details.open = true;
    var first = details.querySelector(
      "form input:not([type=hidden]):not([disabled]), form select:not([disabled]), form textarea:not([disabled]), form button:not([disabled])");
    return focusElement(first || details.querySelector("summary"));
  }

  function clearPrefix() {
    pendingG = false;
    if (pendingTimer) { window.clearTimeout(pendingTimer); pendingTimer = null; }
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.altKey || event.metaKey || event.isComposing) { return; }
    if (dialog.open || !enabled() || typing(event.target)) { clearPrefix(); return; }
    var key = event.key;
    var handled = false;
    if (pendingG) {
      clearPrefix();
      handled = go(key);
    } else if (key === "g") {
      pendingG = true;
      pendingTimer = window.setTimeout(clearPrefix, PREFIX_MS);
      handled = true;
    } else if (key === "?") {
      openHelp();
      handled = true;
    } else if (key === "/") {
      handled = focusElement(document.querySelector("[data-shortcut-search]"));
    } else if (key === "j") {
      handled = moveInList(1);
    } else if (key === "k") {
      handled = moveInList(-1);
    } else if (key === "h") {
      handled = focusElement(document.querySelector("[data-shortcut-history]"));
    } else if (key.length === 1 && key >= "1" && key <= "9") {
      handled = openStep(Number(key));
    }
    if (handled) { event.preventDefault(); }
  });
}());
