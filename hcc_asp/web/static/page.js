/* hcc-asp page: collects the form, asks the service, swaps in the answer it rendered.
 *
 * Decides nothing. Each change sends the whole patient once (debounced; the latest request
 * wins, earlier ones are aborted); the service validates it with the patient model and answers
 * with a fragment of the same report page as `--format html`. Problems come back as the
 * model's own lines and are put beside the field whose key they name. Nothing is stored.
 */
(function () {
  "use strict";

  var form = document.getElementById("patient-form");
  var answer = document.getElementById("answer-view");
  var status = document.getElementById("answer-status");
  var changed = document.getElementById("changed");
  var guideline = document.getElementById("guideline");
  var priorStatus = document.getElementById("prior-status");
  var priorList = document.getElementById("prior-list");
  var priorTemplate = document.getElementById("prior-row");
  var state = { view: "recommend", regimen: null, link: null };
  var timer = null;
  var inflight = null;
  var sequence = 0;
  var previous = null; // regimen -> {name, status, why} of the answer shown
  var lastEdit = "";
  var NUMBER = /^-?\d+(\.\d+)?$/;

  function fields() {
    return form.querySelectorAll("[data-key]");
  }

  function setPath(target, path, value) {
    var parts = path.split(".");
    var node = target;
    for (var i = 0; i < parts.length - 1; i++) {
      if (typeof node[parts[i]] !== "object" || node[parts[i]] === null) node[parts[i]] = {};
      node = node[parts[i]];
    }
    node[parts[parts.length - 1]] = value;
  }

  function getPath(source, path) {
    var node = source;
    var parts = path.split(".");
    for (var i = 0; i < parts.length; i++) {
      if (node === null || typeof node !== "object" || !(parts[i] in node)) return undefined;
      node = node[parts[i]];
    }
    return node;
  }

  /* A field's value as the patient file writes it; raw text the model will word a problem for. */
  function valueOf(element) {
    var text = element.value.trim();
    if (text === "") return undefined;
    var kind = element.getAttribute("data-kind");
    if (kind === "flag") return text === "true";
    if (kind === "number" || kind === "whole") return NUMBER.test(text) ? Number(text) : text;
    return text;
  }

  function keyOf(element) {
    var key = element.getAttribute("data-key");
    var unit = form.querySelector('[data-unit-for="' + key + '"]');
    return unit ? unit.value : key;
  }

  function collect() {
    var patient = {};
    fields().forEach(function (element) {
      var value = valueOf(element);
      if (value !== undefined) setPath(patient, keyOf(element), value);
    });
    var lists = {};
    form.querySelectorAll("input[data-list]").forEach(function (box) {
      var key = box.getAttribute("data-list");
      if (!(key in lists)) lists[key] = [];
      if (box.checked) lists[key].push(box.value);
    });
    Object.keys(lists).forEach(function (key) {
      if (lists[key].length) setPath(patient, key, lists[key]);
    });
    form.querySelectorAll("input[data-section]").forEach(function (box) {
      var key = box.getAttribute("data-section");
      if (box.checked && getPath(patient, key) === undefined) setPath(patient, key, {});
    });
    if (priorStatus.value === "none") patient.prior_therapies = [];
    if (priorStatus.value === "listed") {
      patient.prior_therapies = [];
      priorList.querySelectorAll("li.prior").forEach(function (row) {
        var line = {};
        row.querySelectorAll("[data-prior]").forEach(function (element) {
          var value = valueOf(element);
          if (value !== undefined) line[element.getAttribute("data-prior")] = value;
        });
        patient.prior_therapies.push(line);
      });
    }
    if (form.dataset.extra) {
      var extra = JSON.parse(form.dataset.extra); // keys of an opened file the form has no field for
      Object.keys(extra).forEach(function (key) { patient[key] = extra[key]; });
    }
    return patient;
  }

  function renumber() {
    priorList.querySelectorAll("li.prior").forEach(function (row, index) {
      row.querySelector(".number").textContent = String(index + 1);
      row.querySelectorAll(".field").forEach(function (field) {
        var element = field.querySelector("[data-prior]");
        var key = element.getAttribute("data-prior");
        var id = "f-prior-" + index + "-" + key.replace(/_/g, "-");
        element.id = id;
        field.querySelector("label").setAttribute("for", id);
        field.setAttribute("data-keys", "prior_therapies[" + index + "]." + key);
        var problem = field.querySelector(".problem");
        problem.id = id + "-problem";
        element.setAttribute("aria-describedby", problem.id);
      });
    });
  }

  function addPrior(line) {
    var row = priorTemplate.content.firstElementChild.cloneNode(true);
    priorList.appendChild(row);
    row.querySelectorAll("[data-prior]").forEach(function (element) {
      var value = line ? line[element.getAttribute("data-prior")] : undefined;
      element.value = value === undefined || value === null ? "" : String(value);
    });
    row.querySelector(".remove-prior").addEventListener("click", function () {
      row.remove();
      renumber();
      if (!priorList.children.length) priorStatus.value = "none";
      changedBy("a line of therapy removed");
      priorStatus.focus();
    });
    priorStatus.value = "listed";
    renumber();
    return row;
  }

  /* Fill the form from patient-file data (an opened file, a card's link). */
  function fill(data) {
    form.reset();
    priorList.textContent = "";
    var known = {};
    fields().forEach(function (element) {
      var key = element.getAttribute("data-key");
      var unit = form.querySelector('[data-unit-for="' + key + '"]');
      var keys = unit ? Array.prototype.map.call(unit.options, function (o) { return o.value; }) : [key];
      keys.forEach(function (candidate) {
        var value = getPath(data, candidate);
        known[candidate] = true;
        if (value === undefined || value === null || element.value !== "") return;
        if (unit) unit.value = candidate;
        element.value = String(value);
      });
    });
    form.querySelectorAll("input[data-list]").forEach(function (box) {
      var list = getPath(data, box.getAttribute("data-list")) || [];
      box.checked = list.indexOf(box.value) >= 0;
    });
    form.querySelectorAll("input[data-section]").forEach(function (box) {
      box.checked = getPath(data, box.getAttribute("data-section")) !== undefined;
    });
    var prior = data.prior_therapies;
    priorStatus.value = prior === undefined || prior === null ? "" : "none";
    (prior || []).forEach(function (line) { addPrior(line); });
    var extra = {};
    ["version", "given"].forEach(function (key) { if (key in data) extra[key] = data[key]; });
    form.dataset.extra = JSON.stringify(extra);
  }

  function clearProblems() {
    form.querySelectorAll(".problem").forEach(function (p) { p.hidden = true; p.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach(function (e) { e.removeAttribute("aria-invalid"); });
  }

  /* The field whose keys include `key` (a lab in another unit, a line of therapy), or null. */
  function fieldFor(key) {
    var best = null;
    form.querySelectorAll("[data-keys]").forEach(function (field) {
      field.getAttribute("data-keys").split(" ").forEach(function (candidate) {
        if (candidate === key || (!best && key.indexOf(candidate + ".") === 0)) best = field;
      });
    });
    if (!best && key.indexOf(".") > 0) return fieldFor(key.slice(0, key.lastIndexOf(".")));
    return best;
  }

  function inputOf(field) {
    return field.querySelector("select, input:not([type=checkbox])") || field.querySelector("input");
  }

  function showProblems(problems) {
    var others = [];
    problems.forEach(function (problem) {
      var field = problem.key ? fieldFor(problem.key) : null;
      if (!field) { others.push(problem.key ? problem.key + ": " + problem.text : problem.text); return; }
      var box = field.querySelector(".problem");
      var line = document.createElement("span");
      line.textContent = problem.text + " ";
      var small = document.createElement("small");
      small.className = "key";
      small.textContent = problem.key;
      line.appendChild(small);
      if (box.textContent) box.appendChild(document.createElement("br"));
      box.appendChild(line);
      box.hidden = false;
      var input = inputOf(field);
      if (input) input.setAttribute("aria-invalid", "true");
    });
    var other = document.getElementById("other-problems");
    other.textContent = others.join(" ");
    other.hidden = !others.length;
  }

  function label(element) {
    var field = element.closest(".field");
    var text = field ? field.querySelector("label, legend") : null;
    return text ? text.firstChild.textContent.trim() : "a value";
  }

  function changedBy(what) {
    lastEdit = what;
    schedule();
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(send, 200);
  }

  function send() {
    var body = {
      patient: collect(),
      guideline: guideline.value,
      view: state.view,
      regimen: state.regimen
    };
    if (inflight) inflight.abort();
    inflight = new AbortController();
    var mine = ++sequence;
    answer.setAttribute("aria-busy", "true");
    var headers = { "Content-Type": "application/json" };
    if (state.link) headers["X-HCC-ASP-Link"] = state.link;
    fetch("page/answer", {
      method: "POST",
      headers: headers,
      body: JSON.stringify(body),
      signal: inflight.signal
    })
      .then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, data: data }; });
      })
      .then(function (result) {
        if (mine !== sequence) return;
        answer.setAttribute("aria-busy", "false");
        if (!result.ok) {
          var issues = (result.data.issue || []).map(function (i) { return i.diagnostics; });
          status.textContent = "The service could not answer: " + issues.join("; ");
          return;
        }
        show(result.data);
      })
      .catch(function (error) {
        if (error.name === "AbortError") return;
        answer.setAttribute("aria-busy", "false");
        status.textContent = "The service could not be reached: " + error.message;
      });
  }

  function rowsOf(container) {
    var rows = {};
    container.querySelectorAll("#status-table tr.regimen").forEach(function (row) {
      rows[row.getAttribute("data-regimen")] = {
        name: (row.querySelector("th a") || row.querySelector("th")).textContent.trim(),
        status: row.querySelector('[data-label="Status"]').textContent.trim(),
        why: row.querySelector('[data-label="Why"]').textContent.replace(/\s+/g, " ").trim()
      };
    });
    return rows;
  }

  function show(data) {
    clearProblems();
    if (data.problems.length) {
      showProblems(data.problems);
      status.textContent = "The patient has " + data.problems.length +
        (data.problems.length === 1 ? " problem" : " problems") +
        ", shown beside the fields; the answer waits for them.";
      answer.classList.add("stale");
      return;
    }
    answer.classList.remove("stale");
    answer.innerHTML = data.html;
    enhance();
    if (state.view !== "recommend") {
      status.textContent = state.view === "compare"
        ? "Every guideline side by side."
        : "The explanation of one regimen.";
      return;
    }
    var rows = rowsOf(answer);
    var offered = Object.keys(rows).filter(function (r) {
      return rows[r].status === "recommended" || rows[r].status === "conditional";
    });
    status.textContent = "Answer under " + guideline.options[guideline.selectedIndex].text + ": " +
      offered.length + " regimen" + (offered.length === 1 ? "" : "s") + " offered now or conditionally.";
    changed.textContent = "";
    if (previous && lastEdit) {
      var moves = Object.keys(rows).filter(function (r) {
        return previous[r] && previous[r].status !== rows[r].status;
      });
      if (moves.length) {
        var heading = document.createElement("h3");
        heading.textContent = "What your change (" + lastEdit + ") changed";
        var list = document.createElement("ul");
        moves.forEach(function (r) {
          var item = document.createElement("li");
          item.setAttribute("data-regimen", r);
          var strong = document.createElement("strong");
          strong.textContent = rows[r].name + ": " + previous[r].status + " → " + rows[r].status;
          item.appendChild(strong);
          item.appendChild(document.createTextNode(". " + rows[r].why));
          list.appendChild(item);
        });
        changed.appendChild(heading);
        changed.appendChild(list);
      }
    }
    previous = rows;
    lastEdit = "";
  }

  function button(text, onClick, className) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    if (className) b.className = className;
    b.addEventListener("click", onClick);
    return b;
  }

  function explainRegimen(regimen) {
    state.view = "explain";
    state.regimen = regimen;
    pressed();
    send();
  }

  /* Buttons on the rendered answer: why (not) per regimen, back, and "go to the field". */
  function enhance() {
    answer.querySelectorAll("#status-table tr.regimen").forEach(function (row) {
      var regimen = row.getAttribute("data-regimen");
      var name = (row.querySelector("th a") || row.querySelector("th")).textContent.trim();
      var recommended = row.getAttribute("data-status") === "recommended";
      var why = button(recommended ? "Why" : "Why not", function () { explainRegimen(regimen); }, "why");
      why.setAttribute("aria-label", (recommended ? "Why " : "Why not ") + name);
      row.querySelector("th").appendChild(why);
    });
    answer.querySelectorAll("[data-key]").forEach(function (item) {
      var field = fieldFor(item.getAttribute("data-key"));
      if (!field) return;
      var go = button("Go to the field", function () {
        var input = inputOf(field);
        input.scrollIntoView({ block: "center" });
        input.focus();
      }, "goto");
      go.setAttribute("aria-label", "Go to the field " + label(inputOf(field)));
      (item.tagName === "TR" ? item.lastElementChild : item).appendChild(go);
    });
    if (state.view !== "recommend") {
      var back = button("Back to every regimen", function () {
        state.view = "recommend";
        state.regimen = null;
        pressed();
        send();
        document.getElementById("show-recommend").focus();
      }, "back");
      answer.insertBefore(back, answer.firstChild);
      if (state.view === "explain") back.focus();
    }
  }

  function pressed() {
    document.getElementById("show-recommend").setAttribute("aria-pressed", String(state.view === "recommend"));
    document.getElementById("show-compare").setAttribute("aria-pressed", String(state.view === "compare"));
  }

  function openFile(file) {
    var note = document.getElementById("open-status");
    note.textContent = "Reading " + file.name + "…";
    file.arrayBuffer().then(function (bytes) {
      var headers = { "Content-Type": "application/octet-stream", "X-File-Name": encodeURIComponent(file.name) };
      if (state.link) headers["X-HCC-ASP-Link"] = state.link;
      return fetch("page/open", { method: "POST", headers: headers, body: bytes });
    }).then(function (response) { return response.json(); }).then(function (data) {
      if (data.problems) {
        note.textContent = file.name + " could not be read: " + data.problems.map(function (p) {
          return (p.key ? p.key + ": " : "") + p.text;
        }).join("; ");
        return;
      }
      fill(data.patient);
      note.textContent = "Opened " + file.name + " (" + data.kind + ")" +
        (data.notes.length ? ". Not mapped, for you to check: " + data.notes.join("; ") : ".");
      previous = null;
      changedBy("");
    }).catch(function (error) { note.textContent = "Could not open " + file.name + ": " + error.message; });
  }

  function download() {
    var headers = { "Content-Type": "application/json" };
    if (state.link) headers["X-HCC-ASP-Link"] = state.link;
    fetch("page/patient-file", { method: "POST", headers: headers, body: JSON.stringify({ patient: collect() }) })
      .then(function (response) {
        if (!response.ok) {
          return response.json().then(function (data) {
            clearProblems();
            showProblems(data.problems || []);
            document.getElementById("open-status").textContent = "Correct the marked fields first.";
          });
        }
        var name = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
        return response.blob().then(function (blob) {
          var a = document.createElement("a");
          a.href = URL.createObjectURL(blob);
          a.download = name ? name[1] : "patient.yaml";
          document.body.appendChild(a);
          a.click();
          a.remove();
          setTimeout(function () { URL.revokeObjectURL(a.href); }, 1000);
        });
      });
  }

  function openLink() {
    var match = /(?:^|[#&])link=([A-Za-z0-9_-]+)/.exec(location.hash);
    if (!match) return false;
    var wanted = /(?:^|[#&])guideline=([a-z0-9-]+)/.exec(location.hash);
    state.link = match[1];
    fetch("page/link/" + match[1]).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (result) {
      var note = document.getElementById("open-status");
      if (!result.ok) { note.textContent = "The link has expired: open the card in the EHR again."; return; }
      fill(result.data.patient);
      if (wanted && guideline.querySelector('option[value="' + wanted[1] + '"]')) guideline.value = wanted[1];
      note.textContent = "Opened the patient of the EHR's card; your changes here stay on this page.";
      send();
    });
    return true;
  }

  form.addEventListener("submit", function (event) { event.preventDefault(); });
  form.addEventListener("input", function (event) {
    if (event.target.matches("[data-key], [data-prior]")) changedBy(label(event.target));
  });
  form.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("select[data-unit-for]")) { changedBy(label(target) + " unit"); return; }
    if (target === priorStatus) {
      if (target.value === "listed" && !priorList.children.length) addPrior(null);
      if (target.value !== "listed") priorList.textContent = "";
      changedBy("prior systemic therapy");
      return;
    }
    if (target.matches("input[type=checkbox]")) { changedBy(label(target)); return; }
    if (target.matches("select")) changedBy(label(target));
  });
  document.getElementById("add-prior").addEventListener("click", function () {
    var row = addPrior(null);
    row.querySelector("select").focus();
    changedBy("a line of therapy added");
  });
  document.getElementById("clear").addEventListener("click", function () {
    fill({});
    form.dataset.extra = "{}";
    changedBy("the form cleared");
  });
  document.getElementById("download").addEventListener("click", download);
  document.getElementById("open-file").addEventListener("change", function (event) {
    if (event.target.files.length) openFile(event.target.files[0]);
    event.target.value = "";
  });
  guideline.addEventListener("change", function () { previous = null; send(); });
  document.getElementById("show-recommend").addEventListener("click", function () {
    state.view = "recommend"; state.regimen = null; pressed(); send();
  });
  document.getElementById("show-compare").addEventListener("click", function () {
    state.view = "compare"; state.regimen = null; pressed(); send();
  });
  var zone = document.getElementById("patient-panel");
  zone.addEventListener("dragover", function (event) { event.preventDefault(); zone.classList.add("dropping"); });
  zone.addEventListener("dragleave", function () { zone.classList.remove("dropping"); });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    zone.classList.remove("dropping");
    if (event.dataTransfer.files.length) openFile(event.dataTransfer.files[0]);
  });
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details").forEach(function (d) { d.open = true; });
  });

  if (!openLink()) send();
})();
