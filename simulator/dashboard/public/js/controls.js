// The control panels: C2D message, direct method, twin, sensor faults, network.
import { api, devicePath } from './api.js';
import { $, setResult } from './dom.js';
import { state } from './state.js';

const path = (suffix) => devicePath(state.current, suffix);

/** Runs `action` with `button` disabled meanwhile, so a slow call is not sent twice. */
async function busy(button, action) {
  button.disabled = true;
  try {
    await action();
  } finally {
    button.disabled = false;
  }
}

export async function refreshTwin() {
  if (state.current === undefined) return;
  try {
    const twin = await api('GET', path('/twin'));
    $('twin-reported').textContent = JSON.stringify(twin && twin.reported, null, 2);
  } catch (e) {
    $('twin-reported').textContent = e.message;
  }
}

function wireC2D() {
  const form = $('c2d-form');
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const input = $('c2d-text');
    const text = input.value;
    const sender = $('c2d-sender').value.trim();
    return busy(form.querySelector('button'), async () => {
      try {
        await api('POST', path('/c2d'), { body: text, properties: sender ? { sender } : {} });
        setResult($('c2d-result'), `queued: "${text}"`);
        input.value = '';
      } catch (err) {
        setResult($('c2d-result'), err.message, true);
      }
    });
  });
}

function wireMethod() {
  const form = $('method-form');
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const name = $('method-name').value;
    const payload = $('method-payload').value.trim();
    return busy(form.querySelector('button'), async () => {
      try {
        const r = await api('POST', path(`/methods/${encodeURIComponent(name)}`), payload === '' ? undefined : payload);
        setResult($('method-result'), `${r.status}\n${JSON.stringify(r.payload, null, 2)}`, r.status !== 200);
      } catch (err) {
        setResult($('method-result'), err.message, true);
      }
    });
  });
}

function wireTwin() {
  $('twin-apply').addEventListener('click', async () => {
    let desired;
    try {
      desired = JSON.parse($('twin-desired').value);
    } catch {
      setResult($('twin-result'), 'desired patch is not valid JSON', true);
      return;
    }
    try {
      await api('PATCH', path('/twin'), { desired });
      setResult($('twin-result'), 'desired patch sent');
      setTimeout(refreshTwin, 700);
    } catch (err) {
      setResult($('twin-result'), err.message, true);
    }
  });
  $('twin-refresh').addEventListener('click', refreshTwin);
}

function wireFaults() {
  for (const b of document.querySelectorAll('button[data-fault]')) {
    b.addEventListener('click', async () => {
      const sensorId = $('fault-sensor').value;
      try {
        await api('POST', path('/faults'), { sensorId, fault: b.dataset.fault });
        setResult($('fault-result'), `${b.dataset.fault} on ${sensorId}`);
      } catch (err) {
        setResult($('fault-result'), err.message, true);
      }
    });
  }
}

function wireNetwork() {
  const set = (up) => api('POST', path('/network'), { up }).then(
    () => setResult($('net-result'), up ? 'link restored' : 'link cut'),
    (err) => setResult($('net-result'), err.message, true),
  );
  $('net-cut').addEventListener('click', () => set(false));
  $('net-restore').addEventListener('click', () => set(true));
}

/**
 * Fills the fault panel's sensor list ({id, name}[]: from the device list, or from the display
 * model once it knows more) and the link state, for the device shown. No sensors: the fault
 * buttons are disabled and the list says so.
 */
export function fillDeviceControls(sensors) {
  const dev = state.devices.find((d) => d.id === state.current);
  const sel = $('fault-sensor');
  const ids = sensors.map((s) => s.id).join();
  if (sel.dataset.ids !== ids) {
    const keep = sel.value;
    sel.textContent = '';
    for (const s of sensors) {
      const o = document.createElement('option');
      o.value = s.id;
      o.textContent = `${s.name} (${s.id})`;
      sel.append(o);
    }
    if (sensors.length === 0) sel.append(new Option('no sensors', ''));
    if (keep && sensors.some((s) => s.id === keep)) sel.value = keep;
    sel.dataset.ids = ids;
  }
  sel.disabled = sensors.length === 0;
  for (const b of document.querySelectorAll('button[data-fault]')) b.disabled = sensors.length === 0;
  $('net-state').textContent = dev && dev.networkUp === false ? 'CUT' : 'up';
}

export function wireControls() {
  wireC2D();
  wireMethod();
  wireTwin();
  wireFaults();
  wireNetwork();
}
