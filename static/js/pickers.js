/*
 * pickers.js: enhancements for phones; every page works without it.
 *
 * - Language fields (input[data-languages]): as a name is typed after the last comma, a <datalist>
 *   suggests the languages whose name starts with it (names from the JSON list the attribute points to,
 *   in the page's language).
 * - Country pickers ([data-country-picker]): a box to filter the countries by name, and the summary of
 *   the ticked countries (and each continent's count) kept up to date.
 * - The search filters (details.filters-disclosure) start open on wide screens, where they have a column.
 */
(function () {
  "use strict";

  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().trim();
  }

  /* ---- Languages ---------------------------------------------------- */

  function enhanceLanguages(input) {
    var names = null;
    var list = document.createElement("datalist");
    list.id = input.id + "-suggestions";
    input.after(list);
    input.setAttribute("list", list.id);

    function load() {
      if (names !== null) return;
      names = [];
      fetch(input.dataset.languages, { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : { languages: [] }; })
        .then(function (data) {
          names = data.languages.map(function (item) { return { name: item.name, key: fold(item.name) }; });
          suggest();
        })
        .catch(function () { names = []; });
    }

    function suggest() {
      var value = input.value;
      var cut = Math.max(value.lastIndexOf(","), value.lastIndexOf(";"));
      var before = cut >= 0 ? value.slice(0, cut + 1).replace(/\s*$/, " ") : "";
      var typed = fold(value.slice(cut + 1));
      list.replaceChildren();
      if (!typed || !names) return;
      var shown = 0;
      for (var i = 0; i < names.length && shown < 12; i++) {
        if (names[i].key.indexOf(typed) === 0) {
          var option = document.createElement("option");
          option.value = before + names[i].name;
          list.append(option);
          shown++;
        }
      }
    }

    input.addEventListener("focus", load);
    input.addEventListener("input", function () { load(); suggest(); });
  }

  /* ---- Countries ---------------------------------------------------- */

  function enhanceCountries(picker) {
    var boxes = Array.prototype.slice.call(picker.querySelectorAll("input[type=checkbox]"));
    var groups = Array.prototype.slice.call(picker.querySelectorAll("details.picker-group"));
    var chosen = picker.querySelector("[data-picker-chosen]");
    var labelOf = function (box) { return picker.querySelector("label[for='" + box.id + "']").textContent.trim(); };

    var field = document.createElement("div");
    field.className = "field picker-filter";
    var label = document.createElement("label");
    label.htmlFor = picker.id + "-filter";
    label.textContent = picker.dataset.filterLabel;
    var filter = document.createElement("input");
    filter.type = "search";
    filter.id = picker.id + "-filter";
    filter.autocomplete = "off";
    var empty = document.createElement("p");
    empty.className = "help";
    empty.hidden = true;
    empty.textContent = picker.dataset.noMatch;
    field.append(label, filter);
    picker.querySelector(".picker-summary").after(field, empty);

    function countText(group, n) {
      var rule = new Intl.PluralRules(document.documentElement.lang || "en").select(n);
      var form = rule === "one" ? picker.dataset.countOne : picker.dataset.countOther;
      return "(" + form.replace(/\d+/, String(n)) + ")";
    }

    function summarize() {
      var names = boxes.filter(function (box) { return box.checked; }).map(labelOf);
      names.sort(function (a, b) { return a.localeCompare(b); });
      chosen.textContent = names.length ? names.join(", ") : chosen.dataset.none;
      groups.forEach(function (group) {
        var n = group.querySelectorAll("input[type=checkbox]:checked").length;
        var count = group.querySelector(".picker-count");
        if (!count) {
          count = document.createElement("span");
          count.className = "picker-count";
          group.querySelector("summary").append(" ", count);
        }
        count.textContent = n ? countText(group, n) : "";
      });
    }

    function applyFilter() {
      var typed = fold(filter.value);
      var any = false;
      groups.forEach(function (group) {
        var matches = 0;
        group.querySelectorAll("li").forEach(function (item) {
          var show = !typed || fold(item.textContent).indexOf(typed) !== -1;
          item.hidden = !show;
          if (show) matches++;
        });
        group.hidden = matches === 0;
        if (typed) group.open = matches > 0;
        any = any || matches > 0;
      });
      empty.hidden = any;
    }

    filter.addEventListener("input", applyFilter);
    filter.addEventListener("keydown", function (event) {
      if (event.key === "Enter") event.preventDefault(); // filtering, not sending the form
    });
    picker.addEventListener("change", function (event) {
      if (event.target.type === "checkbox") summarize();
    });
  }

  /* ---- Search filters ----------------------------------------------- */

  function openFiltersOnWideScreens() {
    var filters = document.querySelector("details.filters-disclosure");
    if (filters && window.matchMedia("(min-width: 52rem)").matches) filters.open = true;
  }

  document.querySelectorAll("input[data-languages]").forEach(enhanceLanguages);
  document.querySelectorAll("[data-country-picker]").forEach(enhanceCountries);
  openFiltersOnWideScreens();
})();
