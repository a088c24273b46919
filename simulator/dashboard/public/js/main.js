// The dashboard page: plain ES modules, no build, nothing fetched from elsewhere.
// Live updates arrive over server-sent events (/api/events).
import { api, devicePath } from './api.js';
import { clearCharts, renderCharts, setChartsNote } from './charts.js';
import { fillDeviceControls, refreshTwin, wireControls } from './controls.js';
import { $, el, setConnection } from './dom.js';
import { renderScreen } from './screen.js';
import { addSample, state } from './state.js';

let streamOpen = false;

/** The pill says "live" only once the device shown has sent something. */
function updateConnection() {
  if (!streamOpen) return;
  const id = state.current;
  if (!state.loaded) setConnection('waiting', 'loading…');
  else if (id === undefined) setConnection('waiting', 'no devices');
  else if (state.display.has(id) || (state.history.get(id) || []).length > 0) setConnection('live', 'live');
  else setConnection('waiting', 'waiting for data…');
}

/** The sensors of the device shown: its display model's once it has one, else the device list's. */
function sensorsShown() {
  const model = state.display.get(state.current);
  if (model) return model.sensors.map((s) => ({ id: s.id, name: s.name }));
  const dev = state.devices.find((d) => d.id === state.current);
  return (dev && dev.sensors) || [];
}

function render() {
  const id = state.current;
  renderScreen(state.display.get(id));
  renderCharts(state.history.get(id) || [], state.display.get(id));
  fillDeviceControls(sensorsShown());
  updateConnection();
}

async function selectDevice(id) {
  state.current = id;
  clearCharts();
  const [display, history] = await Promise.all([api('GET', devicePath(id, '/display')), api('GET', devicePath(id, '/history'))]);
  state.history.set(id, history);
  if (display) state.display.set(id, display);
  render();
  refreshTwin();
}

async function loadDevices() {
  state.devices = await api('GET', '/api/devices');
  state.loaded = true;
  const sel = $('device-select');
  sel.textContent = '';
  for (const d of state.devices) {
    const o = el('option', '', d.id);
    o.value = d.id;
    sel.append(o);
  }
  if (state.devices.length === 0) {
    state.current = undefined;
    setChartsNote('No devices: start the simulator with at least one.');
    updateConnection();
    return;
  }
  const id = state.current !== undefined && state.devices.some((d) => d.id === state.current) ? state.current : state.devices[0].id;
  sel.value = id;
  await selectDevice(id);
}

let chartPending = false;
function scheduleCharts() {
  if (chartPending) return;
  chartPending = true;
  requestAnimationFrame(() => {
    chartPending = false;
    renderCharts(state.history.get(state.current) || [], state.display.get(state.current));
    updateConnection();
  });
}

function connectEvents() {
  const es = new EventSource('/api/events');
  es.onopen = () => { streamOpen = true; updateConnection(); };
  es.onerror = () => { streamOpen = false; setConnection('bad', 'reconnecting…'); };
  es.addEventListener('display', (e) => {
    const { deviceId, model } = JSON.parse(e.data);
    state.display.set(deviceId, model);
    if (deviceId === state.current) {
      renderScreen(model);
      fillDeviceControls(sensorsShown());
      updateConnection();
    }
  });
  es.addEventListener('sample', (e) => {
    const { deviceId, sample } = JSON.parse(e.data);
    addSample(deviceId, sample);
    if (deviceId === state.current) scheduleCharts();
  });
  es.addEventListener('devices', () => loadDevices());
  es.addEventListener('network', (e) => {
    const { deviceId, up } = JSON.parse(e.data);
    const d = state.devices.find((x) => x.id === deviceId);
    if (d) d.networkUp = up;
    if (deviceId === state.current) $('net-state').textContent = up ? 'up' : 'CUT';
  });
}

$('device-select').addEventListener('change', (e) => selectDevice(e.target.value));
window.addEventListener('resize', () => renderCharts(state.history.get(state.current) || [], state.display.get(state.current)));
wireControls();
connectEvents();
loadDevices().catch((e) => {
  setConnection('bad', e.message);
  setChartsNote(`Cannot load the devices: ${e.message}`);
});
