/* dsr: the access package in fewer clicks (loaded with defer by templates/staff/_case_fulfilment.html).
 *
 * Progressive enhancement only; without JavaScript every form works the same:
 * - "Documenten toevoegen": after choosing files (or dropping them on the box), one row per file with its
 *   own category and description (copied from the <template data-file-row>, so every word comes from the
 *   server in the user's language). Rows are posted as the parallel lists file_category / file_title, in
 *   the order of the files; an empty row takes the choice "for all files". Choices already made in a row
 *   (also the rows the server showed again after a refused file) stay with the row at the same position.
 * - "Alles aanvinken": ticks (or unticks) that check for every document; unticking one document unticks
 *   "all" again, because the server treats a ticked "all" as ticked for every document.
 * No user-visible strings here.
 */
(function () {
  "use strict";

  function setUpUpload(form) {
    var input = form.querySelector("input[type=file][multiple]");
    var rows = form.querySelector("[data-file-rows]");
    var template = form.querySelector("template[data-file-row]");
    var zone = form.querySelector("[data-drop-zone]");
    if (!input || !rows || !template) { return; }

    function currentChoices() {
      return Array.prototype.map.call(rows.querySelectorAll("fieldset"), function (row) {
        var select = row.querySelector("select[name=file_category]");
        var title = row.querySelector("input[name=file_title]");
        return { category: select ? select.value : "", title: title ? title.value : "" };
      });
    }

    function showRows() {
      var kept = currentChoices();
      rows.textContent = "";
      Array.prototype.forEach.call(input.files || [], function (file, index) {
        var row = template.content.firstElementChild.cloneNode(true);
        row.querySelector("[data-file-name]").textContent = file.name;
        if (kept[index]) {
          row.querySelector("select[name=file_category]").value = kept[index].category;
          row.querySelector("input[name=file_title]").value = kept[index].title;
        }
        rows.appendChild(row);
      });
    }

    input.addEventListener("change", showRows);

    if (zone && window.DataTransfer) {
      var hint = zone.querySelector("[data-drop-hint]");
      if (hint) { hint.hidden = false; }
      zone.addEventListener("dragover", function (event) {
        event.preventDefault();
        zone.classList.add("dragging");
      });
      zone.addEventListener("dragleave", function () { zone.classList.remove("dragging"); });
      zone.addEventListener("drop", function (event) {
        event.preventDefault();
        zone.classList.remove("dragging");
        if (event.dataTransfer && event.dataTransfer.files.length) {
          input.files = event.dataTransfer.files;
          showRows();
        }
      });
    }
  }

  function setUpCheckAll(form) {
    Array.prototype.forEach.call(form.querySelectorAll("[data-check-all]"), function (all) {
      var kind = all.getAttribute("data-check-all");
      var boxes = form.querySelectorAll("[data-check='" + kind + "']");
      all.addEventListener("change", function () {
        Array.prototype.forEach.call(boxes, function (box) { box.checked = all.checked; });
      });
      Array.prototype.forEach.call(boxes, function (box) {
        box.addEventListener("change", function () {
          if (!box.checked) { all.checked = false; }
        });
      });
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("form[data-package-upload]"), setUpUpload);
  Array.prototype.forEach.call(document.querySelectorAll("form[data-check-all-form]"), setUpCheckAll);
}());
