// The pedal's page: login or first-use claim, then what plays, live, and what a player changes.
// Every name shown goes in as text (textContent), never as markup.
"use strict";

let csrf = null;
let live = null;
let sounds = [];          // [{kind: "rig" | "capture", name}], in footswitch order
let playingPosition = null;
let chosenCapture = null;  // the capture or rig the library buttons act on (the last one tapped)
let chosenKind = null;
let lastStatus = null;

const $ = (id) => document.getElementById(id);

function say(text) { $("message").textContent = text || ""; }

async function api(path, body, method) {
  const options = { method: method || (body === undefined ? "GET" : "POST"), headers: {} };
  if (csrf) options.headers["X-CSRF-Token"] = csrf;
  if (body instanceof FormData) {
    options.body = body;
  } else if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  let answer;
  try { answer = await response.json(); } catch (e) { answer = { ok: false, error: response.statusText }; }
  if (response.status === 401) { show("login"); }
  if (!answer.ok) { throw new Error(answer.error || "refused"); }
  return answer;
}

function show(which) {
  for (const id of ["login", "claim", "pedal"]) { $(id).hidden = id !== which; }
  $("logout").hidden = which !== "pedal";
  if (which !== "pedal" && live) { live.close(); live = null; }
}

async function start() {
  const session = await api("/api/session");
  if (session.logged_in) {
    csrf = session.csrf;
    enterPedal();
  } else {
    show(session.claimed ? "login" : "claim");
  }
}

async function enterPedal() {
  show("pedal");
  await refreshList();
  openLive();
}

async function refreshList() {
  const status = await api("/api/status");
  sounds = status.rig_names.map((name) => ({ kind: "rig", name }))
    .concat(status.models.map((name) => ({ kind: "capture", name })));
  const list = $("sounds");
  list.replaceChildren();
  $("library-actions").hidden = true;
  chosenCapture = null;
  const cabinet = $("cabinet");
  cabinet.replaceChildren();
  for (const name of [""].concat(status.irs)) {
    const option = document.createElement("option");
    option.value = name;
    option.textContent = name || "none";
    cabinet.appendChild(option);
  }
  const ranges = status.ranges;
  for (const [id, key] of [["bass", "bass_db"], ["mid", "mid_db"], ["treble", "treble_db"], ["gate", "gate_threshold_db"]]) {
    $(id).min = ranges[key][0];
    $(id).max = ranges[key][1];
  }
  drawKnobs(status.knobs);
  fillChoices(document.querySelectorAll(".rig-capture"), status.models);
  fillChoices([$("rig-cabinet")], status.irs);
  sounds.forEach((sound, position) => {
    const item = document.createElement("li");
    item.textContent = sound.name;
    const kind = document.createElement("span");
    kind.className = "kind";
    kind.textContent = sound.kind;
    item.appendChild(kind);
    item.dataset.position = position;
    item.addEventListener("click", () => choose(sound));
    list.appendChild(item);
  });
  render(status);
}

function fillChoices(selects, names) {
  for (const select of selects) {
    select.replaceChildren();
    for (const name of [""].concat(names)) {
      const option = document.createElement("option");
      option.value = name;
      option.textContent = name || "none";
      select.appendChild(option);
    }
  }
}

function drawKnobs(knobs) {
  const box = $("knobs");
  box.replaceChildren();
  for (const knob of knobs) {
    const label = document.createElement("label");
    label.textContent = `${knob.name} (${knob.model}) `;
    const slider = document.createElement("input");
    Object.assign(slider, { type: "range", min: knob.min, max: knob.max, step: (knob.max - knob.min) / 100, value: knob.value });
    slider.addEventListener("change", () => act({ cmd: "knob", name: knob.name, capture: knob.capture, value: Number(slider.value) }));
    label.appendChild(slider);
    box.appendChild(label);
  }
}

function openLive() {
  if (live) return;
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  live = new WebSocket(`${scheme}//${location.host}/api/live`);
  live.onmessage = (event) => {
    const status = JSON.parse(event.data);
    if (status.ok) render(status); else say(status.error);
  };
  live.onclose = () => { live = null; if (!$("pedal").hidden) setTimeout(openLive, 1000); };
}

function percentOfDb(db) { return Math.max(0, Math.min(100, (db + 60) / 60 * 100)); }

function render(status) {
  $("playing-name").textContent = status.rig || status.model || "nothing";
  $("playing-detail").textContent = status.rig ? `rig: ${status.captures.join(" → ")}` : "capture";
  $("bypass").classList.toggle("on", !!status.bypass);
  $("bypass").textContent = status.bypass ? "Bypassed" : "Bypass";
  const tuning = status.tuner && status.tuner.on;
  $("tuner").classList.toggle("on", !!tuning);
  $("tuner-view").hidden = !tuning;
  if (tuning) {
    const reading = status.tuner.reading || {};
    $("tuner-note").textContent = reading.note ? `${reading.note}${reading.octave}` : "–";
    const cents = reading.cents;
    $("tuner-cents").textContent = cents === null || cents === undefined ? "no note" : `${cents > 0 ? "+" : ""}${cents.toFixed(1)} cents`;
    $("tuner-mark").style.left = `${50 + Math.max(-50, Math.min(50, cents || 0))}%`;
  }
  const peaks = status.peaks || {};
  $("meter-in").style.width = `${percentOfDb(peaks.input_dbfs ?? -120)}%`;
  $("meter-out").style.width = `${percentOfDb(peaks.output_dbfs ?? -120)}%`;
  const cpu = status.cpu || {};
  $("health").textContent = `CPU ${Math.round(cpu.recent_avg_percent ?? cpu.avg_percent ?? 0)}% · xruns ${status.xruns} · ${status.latency_ms} ms · ${status.audio}`;
  for (const [id, key] of [["input", "input_gain_db"], ["output", "output_level_db"]]) {
    const slider = $(`${id}-level`);
    if (document.activeElement !== slider) slider.value = status[key];
    $(`${id}-value`).textContent = `${Number(status[key]).toFixed(1)} dB`;
  }
  const eq = status.eq || {};
  for (const [id, value, unit] of [["bass", eq.bass_db ?? 0, "dB"], ["mid", eq.mid_db ?? 0, "dB"],
                                   ["treble", eq.treble_db ?? 0, "dB"], ["gate", (status.gate || {}).threshold_db, "dBFS"]]) {
    if (value === undefined || value === null) continue;
    if (document.activeElement !== $(id)) $(id).value = value;
    $(`${id}-value`).textContent = `${Number(value).toFixed(1)} ${unit}`;
  }
  if (document.activeElement !== $("cabinet")) $("cabinet").value = status.ir || "";
  $("size-row").hidden = status.size === null || status.size === undefined;
  if (!$("size-row").hidden) {
    if (document.activeElement !== $("size")) $("size").value = status.size;
    $("size-value").textContent = status.submodel ? `${status.submodel.index + 1} of ${status.submodel.count}` : "";
  }
  $("save-rig").hidden = !status.rig || Object.keys(status.rig_changes || {}).length === 0;
  lastStatus = status;
  playingPosition = status.position;
  for (const item of $("sounds").children) {
    item.classList.toggle("playing", Number(item.dataset.position) === playingPosition);
  }
}

async function act(body) {
  try { say(""); render(Object.assign(await api("/api/status"), await api("/api/do", body))); }
  catch (error) { say(error.message); }
}

function choose(sound) {
  act(sound.kind === "rig" ? { cmd: "rig", action: "select", name: sound.name } : { cmd: "select", name: sound.name });
  chosenCapture = sound.name;
  chosenKind = sound.kind;
  $("library-actions").hidden = false;
  $("move-up").hidden = $("rename").hidden = sound.kind !== "capture";
}

async function rigAction(body) {
  try {
    say(body.action === "new" ? `timing rig ${body.name} on the pedal…` : "");
    await api("/api/rig", body);
    say(body.action === "new" ? `rig ${body.name} made` : "");
    await refreshList();
  } catch (error) { say(error.message); }
}

async function library(body) {
  try {
    say("");
    await api("/api/library", body);
    await refreshList();
  } catch (error) { say(error.message); }
}

async function upload(file) {
  const form = new FormData();
  form.append("file", file, file.name);
  $("upload-result").textContent = `checking ${file.name} on the pedal…`;
  try {
    const answer = await api("/api/upload", form);
    $("upload-result").textContent = `added ${answer.name}: ${answer.summary}`;
    await refreshList();
  } catch (error) {
    $("upload-result").textContent = `refused: ${error.message}`;
  }
}

function wire() {
  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      csrf = (await api("/api/login", { password: $("login-password").value })).csrf;
      $("login-password").value = "";
      say("");
      enterPedal();
    } catch (error) { say(error.message); }
  });
  let claimToken = null;
  $("claim-button").addEventListener("click", async () => {
    say("Press the footswitch now (30 s)…");
    try {
      claimToken = (await api("/api/claim", {})).claim;
      say("");
      $("claim-button").hidden = true;
      $("set-password-form").hidden = false;
    } catch (error) { say(error.message); }
  });
  $("set-password-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      csrf = (await api("/api/password", { claim: claimToken, password: $("new-password").value })).csrf;
      say("Password set.");
      enterPedal();
    } catch (error) { say(error.message); }
  });
  $("logout").addEventListener("click", async () => { await api("/api/logout", {}); csrf = null; show("login"); });
  $("prev").addEventListener("click", () => act({ cmd: "prev" }));
  $("next").addEventListener("click", () => act({ cmd: "next" }));
  $("bypass").addEventListener("click", () => act({ cmd: "bypass" }));
  $("tuner").addEventListener("click", () => act({ cmd: "tuner" }));
  for (const [id, key] of [["input", "input_gain_db"], ["output", "output_level_db"]]) {
    $(`${id}-level`).addEventListener("change", (event) => act({ cmd: "set", [key]: Number(event.target.value) }));
  }
  for (const [id, key] of [["bass", "bass_db"], ["mid", "mid_db"], ["treble", "treble_db"]]) {
    $(id).addEventListener("change", (event) => act({ cmd: "eq", [key]: Number(event.target.value) }));
  }
  $("gate").addEventListener("change", (event) => act({ cmd: "gate", threshold_db: Number(event.target.value) }));
  $("cabinet").addEventListener("change", (event) =>
    act(event.target.value ? { cmd: "ir", action: "select", name: event.target.value } : { cmd: "ir", action: "off" }));
  $("size").addEventListener("change", (event) => {
    if (lastStatus && lastStatus.model) act({ cmd: "size", name: lastStatus.model, size: Number(event.target.value) });
  });
  $("save-rig").addEventListener("click", () => act({ cmd: "rig", action: "save" }));
  $("move-up").addEventListener("click", () => {
    const captures = sounds.filter((s) => s.kind === "capture").map((s) => s.name);
    const at = captures.indexOf(chosenCapture);
    if (at > 0) { [captures[at - 1], captures[at]] = [captures[at], captures[at - 1]]; library({ action: "order", names: captures }); }
  });
  $("rename").addEventListener("click", () => {
    const name = prompt(`New name for ${chosenCapture}`, chosenCapture);
    if (name && name !== chosenCapture) library({ action: "rename", old: chosenCapture, new: name });
  });
  $("remove").addEventListener("click", () => {
    if (!confirm(`Remove ${chosenCapture} from the pedal?`)) return;
    if (chosenKind === "rig") rigAction({ action: "remove", name: chosenCapture });
    else library({ action: "remove", name: chosenCapture });
  });
  $("rig-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const captures = [...document.querySelectorAll(".rig-capture")].map((s) => s.value).filter((v) => v)
      .map((model) => ({ model }));
    rigAction({ action: "new", name: $("rig-name").value, captures, cabinet: $("rig-cabinet").value });
  });
  $("upload-file").addEventListener("change", (event) => { if (event.target.files[0]) upload(event.target.files[0]); });
  const drop = $("drop");
  drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    if (event.dataTransfer.files[0]) upload(event.dataTransfer.files[0]);
  });
}

wire();
start().catch((error) => say(error.message));
