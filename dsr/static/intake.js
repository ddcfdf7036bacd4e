/* dsr: the request form's live "Dit krijgt u" text (loaded with defer by templates/public/intake.html).
 *
 * Every word comes from the server: the text is asked from the JSON endpoint behind
 * data-preview-url (dsr.workflows.intake_preview.what_you_get, in the visitor's language), the same
 * function the check step uses. This script only sends the answers that decide it (role, gezag, birth
 * date, right, whose data) and puts the returned sentences in place. No user-visible strings here.
 * Without JavaScript the form works the same; the check step shows the text before anything is sent.
 */
(function () {
  "use strict";

  var form = document.querySelector("form[data-intake-form]");
  var box = form && form.querySelector("[data-preview-url]");
  var target = box && box.querySelector("#what-you-get-text");
  if (!form || !box || !target) { return; }

  var FIELDS = ["right", "requester_role", "parental_authority", "student_birth_date", "subject"];
  var url = box.getAttribute("data-preview-url");
  var latest = 0;

  function value(name) {
    var checked = form.querySelector("input[name='" + name + "']:checked");
    if (checked) { return checked.value; }
    var input = form.querySelector("input[name='" + name + "']:not([type=radio])");
    return input ? input.value : "";
  }

  function show(data) {
    var headline = document.createElement("p");
    var strong = document.createElement("strong");
    var list = document.createElement("ul");
    headline.className = "what-you-get-headline";
    strong.textContent = data.headline;
    headline.appendChild(strong);
    list.className = "what-you-get-details";
    data.details.forEach(function (detail) {
      var item = document.createElement("li");
      item.textContent = detail;
      list.appendChild(item);
    });
    target.setAttribute("data-kind", data.kind);
    target.replaceChildren(headline, list);
  }

  function update() {
    var params = new URLSearchParams();
    FIELDS.forEach(function (name) { params.set(name, value(name)); });
    var request = ++latest;
    fetch(url + "?" + params.toString(), {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        // An older answer arriving late never overwrites a newer one; a failure keeps the last text.
        if (data && request === latest) { show(data); }
      })
      .catch(function () { /* offline or rate-limited: the check step still shows the text */ });
  }

  form.addEventListener("change", function (event) {
    if (event.target && FIELDS.indexOf(event.target.name) !== -1) { update(); }
  });
  update();
}());
