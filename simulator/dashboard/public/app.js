// The dashboard page: plain JS, no build, nothing fetched from elsewhere.
// Live updates arrive over server-sent events (/api/events).
'use strict';

const HISTORY = 180;
const state = {
  devices: [],
  current: undefined,
  /** deviceId -> ChartSample[] */
  history: new Map(),
  display: new Map(),
  charts: new Map(),
};

const $ = (id) => document.getElementById(id);

async function api(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const data = await res.json().catch(() => null);
  if (!res.ok) throw new Error((data && data.message) || `HTTP ${res.status}`);
  return data;
}

function devPath(suffix) {
  return `/api/devices/${encodeURIComponent(state.current)}${suffix}`;
}

function setResult(el, text, error) {
  el.textContent = text;
  el.classList.toggle('err', !!error);
}

// ---------------------------------------------------------------------------------------
// The device screen, rendered from the same DisplayModel the firmware draws.

function fmt(c) {
  return typeof c === 'number' ? c.toFixed(1) : '--.-';
}

function renderScreen(model) {
  const screen = $('screen');
  if (!model) return;
  $('scr-id').textContent = model.deviceId;
  const first = model.sensors.find((s) => s.status === 'online') || model.sensors[0];
  $('scr-big').textContent = first ? fmt(first.celsius) : '--.-';
  $('scr-bigname').textContent = first ? `${first.name} · ${first.status}` : 'no sensors';
  const list = $('scr-sensors');
  list.textContent = '';
  for (const s of model.sensors) {
    const li = document.createElement('li');
    li.dataset.sensor = s.id;
    const name = document.createElement('span');
    name.textContent = s.name;
    const val = document.createElement('span');
    val.className = `st-${s.status}` + (s.anomaly ? ' anom' : '');
    val.textContent = s.status === 'online' ? `${fmt(s.celsius)}°C${s.anomaly ? ' !' : ''}` : s.status.toUpperCase();
    li.append(name, val);
    list.append(li);
  }
  const msg = $('scr-msg');
  msg.textContent = '';
  if (model.message) {
    const from = document.createElement('span');
    from.className = 'from';
    const when = model.message.receivedAt ? new Date(model.message.receivedAt).toLocaleTimeString() : '';
    from.textContent = [model.message.sender, when].filter(Boolean).join(' · ');
    const text = document.createElement('span');
    text.className = 'text';
    text.textContent = model.message.text;
    msg.append(from, text);
  }
  const st = model.status;
  $('scr-status').textContent = `net ${st.network} · hub ${st.hub} · outbox ${st.outbox}`;
  $('scr-badge').classList.toggle('hidden', !model.anomaly);
  screen.classList.toggle('alarm', !!model.anomaly);
  screen.classList.toggle('identify', !!model.identify);
}

// ---------------------------------------------------------------------------------------
// Charts: value, mean, a ±σ band and anomalies, drawn on <canvas>.

function chartFor(sensor) {
  let c = state.charts.get(sensor.id);
  if (c) return c;
  const box = document.createElement('div');
  box.className = 'chart';
  box.dataset.sensor = sensor.id;
  const h = document.createElement('h3');
  const title = document.createElement('span');
  const st = document.createElement('span');
  st.className = 'st';
  st.dataset.testid = 'chart-status';
  h.append(title, st);
  const canvas = document.createElement('canvas');
  const legend = document.createElement('div');
  legend.className = 'legend';
  legend.innerHTML = '<i style="background:#2c6fbb"></i>value<i style="background:#8e44ad"></i>mean<i style="background:rgba(142,68,173,.2);height:8px"></i>±σ<i style="background:#e74c3c;height:8px;width:8px;border-radius:4px"></i>anomaly';
  box.append(h, canvas, legend);
  $('charts').append(box);
  c = { box, title, st, canvas, points: 0 };
  state.charts.set(sensor.id, c);
  return c;
}

function drawChart(c, series) {
  const canvas = c.canvas;
  const ratio = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || 360;
  const h = canvas.clientHeight || 170;
  if (canvas.width !== Math.round(w * ratio)) canvas.width = Math.round(w * ratio);
  if (canvas.height !== Math.round(h * ratio)) canvas.height = Math.round(h * ratio);
  const g = canvas.getContext('2d');
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, w, h);
  const left = 40, right = 8, top = 8, bottom = 18;
  let lo = Infinity, hi = -Infinity;
  for (const p of series) {
    for (const v of [p.value, p.mean !== null && p.std !== null ? p.mean - p.std : null, p.mean !== null && p.std !== null ? p.mean + p.std : null]) {
      if (typeof v === 'number') { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    }
  }
  if (!isFinite(lo)) { lo = 0; hi = 1; }
  if (hi - lo < 0.5) { const mid = (hi + lo) / 2; lo = mid - 0.25; hi = mid + 0.25; }
  const pad = (hi - lo) * 0.08; lo -= pad; hi += pad;
  // Fill the width once a minute or so of samples exists; until then grow from the left.
  const slots = Math.max(series.length, 60);
  const x = (i) => left + (i / (slots - 1)) * (w - left - right);
  const y = (v) => top + (1 - (v - lo) / (hi - lo)) * (h - top - bottom);
  // grid and labels
  g.strokeStyle = '#e5e9ef'; g.fillStyle = '#7f8c9a'; g.font = '10px system-ui, sans-serif'; g.lineWidth = 1;
  for (let k = 0; k <= 4; k++) {
    const v = lo + ((hi - lo) * k) / 4;
    const yy = y(v);
    g.beginPath(); g.moveTo(left, yy); g.lineTo(w - right, yy); g.stroke();
    g.fillText(v.toFixed(1), 4, yy + 3);
  }
  g.fillText(`${series.length} samples`, left, h - 4);
  // ±σ band
  g.fillStyle = 'rgba(142,68,173,0.18)';
  let open = false;
  const band = [];
  series.forEach((p, i) => { if (p.mean !== null && p.std !== null) band.push([i, p.mean, p.std]); });
  if (band.length > 1) {
    g.beginPath();
    band.forEach(([i, m, s], k) => (k === 0 ? g.moveTo(x(i), y(m + s)) : g.lineTo(x(i), y(m + s))));
    for (let k = band.length - 1; k >= 0; k--) g.lineTo(x(band[k][0]), y(band[k][1] - band[k][2]));
    g.closePath(); g.fill();
  }
  // mean
  g.strokeStyle = '#8e44ad'; g.setLineDash([4, 3]); g.lineWidth = 1.2; g.beginPath(); open = false;
  series.forEach((p, i) => { if (p.mean === null) { open = false; return; } if (!open) { g.moveTo(x(i), y(p.mean)); open = true; } else g.lineTo(x(i), y(p.mean)); });
  g.stroke(); g.setLineDash([]);
  // value (gaps where the sensor was not online)
  g.strokeStyle = '#2c6fbb'; g.lineWidth = 1.8; g.beginPath(); open = false;
  series.forEach((p, i) => { if (p.value === null) { open = false; return; } if (!open) { g.moveTo(x(i), y(p.value)); open = true; } else g.lineTo(x(i), y(p.value)); });
  g.stroke();
  // anomalies and faults
  series.forEach((p, i) => {
    if (p.anomaly && p.value !== null) { g.fillStyle = '#e74c3c'; g.beginPath(); g.arc(x(i), y(p.value), 3.5, 0, 2 * Math.PI); g.fill(); }
    if (p.status !== 'online') { g.fillStyle = 'rgba(231,76,60,0.25)'; g.fillRect(x(i) - 1.5, top, 3, h - top - bottom); }
  });
}

function renderCharts() {
  const hist = state.history.get(state.current) || [];
  const bySensor = new Map();
  for (const sample of hist) {
    for (const s of sample.sensors) {
      if (!bySensor.has(s.id)) bySensor.set(s.id, { name: s.name, points: [] });
      bySensor.get(s.id).points.push(s);
    }
  }
  for (const [id, c] of state.charts) if (!bySensor.has(id)) { c.box.remove(); state.charts.delete(id); }
  for (const [id, { name, points }] of bySensor) {
    const c = chartFor({ id, name });
    const last = points[points.length - 1];
    c.title.textContent = `${name} (${id}) ${last && last.value !== null ? last.value.toFixed(2) + ' °C' : ''}`;
    c.st.textContent = last ? last.status + (last.anomaly ? ' · anomaly' : '') : '';
    c.st.className = 'st ' + (last ? last.status : '');
    c.box.dataset.points = String(points.length);
    c.box.dataset.status = last ? last.status : '';
    drawChart(c, points.slice(-HISTORY));
  }
}

// ---------------------------------------------------------------------------------------
// Device selection and live events.

function fillSensors() {
  const dev = state.devices.find((d) => d.id === state.current);
  const sel = $('fault-sensor');
  const keep = sel.value;
  sel.textContent = '';
  for (const s of (dev && dev.sensors) || []) {
    const o = document.createElement('option');
    o.value = s.id; o.textContent = `${s.name} (${s.id})`;
    sel.append(o);
  }
  if (keep) sel.value = keep;
  $('net-state').textContent = dev && dev.networkUp === false ? 'CUT' : 'up';
}

async function selectDevice(id) {
  state.current = id;
  for (const c of state.charts.values()) c.box.remove();
  state.charts.clear();
  const [display, history] = await Promise.all([api('GET', devPath('/display')), api('GET', devPath('/history'))]);
  state.history.set(id, history);
  if (display) state.display.set(id, display);
  renderScreen(display);
  renderCharts();
  fillSensors();
  refreshTwin();
}

async function loadDevices() {
  state.devices = await api('GET', '/api/devices');
  const sel = $('device-select');
  sel.textContent = '';
  for (const d of state.devices) {
    const o = document.createElement('option');
    o.value = d.id; o.textContent = d.id;
    sel.append(o);
  }
  if (state.devices.length > 0) {
    const id = state.current && state.devices.some((d) => d.id === state.current) ? state.current : state.devices[0].id;
    sel.value = id;
    await selectDevice(id);
  }
}

let chartPending = false;
function connectEvents() {
  const es = new EventSource('/api/events');
  es.onopen = () => { $('conn').textContent = 'live'; $('conn').className = 'pill ok'; };
  es.onerror = () => { $('conn').textContent = 'reconnecting…'; $('conn').className = 'pill bad'; };
  es.addEventListener('display', (e) => {
    const { deviceId, model } = JSON.parse(e.data);
    state.display.set(deviceId, model);
    if (deviceId === state.current) renderScreen(model);
  });
  es.addEventListener('sample', (e) => {
    const { deviceId, sample } = JSON.parse(e.data);
    const hist = state.history.get(deviceId) || [];
    hist.push(sample);
    if (hist.length > HISTORY) hist.splice(0, hist.length - HISTORY);
    state.history.set(deviceId, hist);
    if (deviceId === state.current && !chartPending) {
      chartPending = true;
      requestAnimationFrame(() => { chartPending = false; renderCharts(); });
    }
  });
  es.addEventListener('devices', () => loadDevices());
  es.addEventListener('network', (e) => {
    const { deviceId, up } = JSON.parse(e.data);
    const d = state.devices.find((x) => x.id === deviceId);
    if (d) d.networkUp = up;
    if (deviceId === state.current) $('net-state').textContent = up ? 'up' : 'CUT';
  });
}

// ---------------------------------------------------------------------------------------
// Controls.

async function refreshTwin() {
  try {
    const twin = await api('GET', devPath('/twin'));
    $('twin-reported').textContent = JSON.stringify(twin && twin.reported, null, 2);
  } catch (e) {
    $('twin-reported').textContent = String(e.message);
  }
}

function wire() {
  $('device-select').addEventListener('change', (e) => selectDevice(e.target.value));
  $('c2d-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const text = $('c2d-text').value;
    const sender = $('c2d-sender').value.trim();
    try {
      await api('POST', devPath('/c2d'), { body: text, properties: sender ? { sender } : {} });
      setResult($('c2d-result'), `queued: "${text}"`);
    } catch (err) {
      setResult($('c2d-result'), err.message, true);
    }
  });
  $('method-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const name = $('method-name').value;
    const payload = $('method-payload').value.trim();
    try {
      const r = await api('POST', devPath(`/methods/${encodeURIComponent(name)}`), payload === '' ? undefined : payload);
      setResult($('method-result'), `${r.status}\n${JSON.stringify(r.payload, null, 2)}`, r.status !== 200);
    } catch (err) {
      setResult($('method-result'), err.message, true);
    }
  });
  $('twin-apply').addEventListener('click', async () => {
    let desired;
    try {
      desired = JSON.parse($('twin-desired').value);
    } catch {
      setResult($('twin-result'), 'desired patch is not valid JSON', true);
      return;
    }
    try {
      await api('PATCH', devPath('/twin'), { desired });
      setResult($('twin-result'), 'desired patch sent');
      setTimeout(refreshTwin, 700);
    } catch (err) {
      setResult($('twin-result'), err.message, true);
    }
  });
  $('twin-refresh').addEventListener('click', refreshTwin);
  for (const b of document.querySelectorAll('button[data-fault]')) {
    b.addEventListener('click', async () => {
      const sensorId = $('fault-sensor').value;
      try {
        await api('POST', devPath('/faults'), { sensorId, fault: b.dataset.fault });
        setResult($('fault-result'), `${b.dataset.fault} on ${sensorId}`);
      } catch (err) {
        setResult($('fault-result'), err.message, true);
      }
    });
  }
  $('net-cut').addEventListener('click', () => api('POST', devPath('/network'), { up: false }).catch((e) => alert(e.message)));
  $('net-restore').addEventListener('click', () => api('POST', devPath('/network'), { up: true }).catch((e) => alert(e.message)));
  window.addEventListener('resize', renderCharts);
}

wire();
connectEvents();
loadDevices().catch((e) => { $('conn').textContent = e.message; $('conn').className = 'pill bad'; });
