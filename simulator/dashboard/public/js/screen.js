// The device screen, rendered from the same DisplayModel the firmware draws. Before the first
// model arrives the screen shows a loading line instead of placeholder readings.
import { $, el } from './dom.js';

function fmt(c) {
  return typeof c === 'number' ? c.toFixed(1) : '--.-';
}

/** Renders a DisplayModel; undefined/null shows the loading state. */
export function renderScreen(model) {
  const screen = $('screen');
  screen.classList.toggle('loading', !model);
  if (!model) {
    screen.classList.remove('alarm', 'identify');
    return;
  }
  $('scr-id').textContent = model.deviceId;
  const first = model.sensors.find((s) => s.status === 'online') || model.sensors[0];
  $('scr-big').textContent = first ? fmt(first.celsius) : '';
  $('big-temp').classList.toggle('hidden', !first);
  $('scr-bigname').textContent = first ? `${first.name} · ${first.status}` : 'No sensors found on the 1-Wire bus';
  const list = $('scr-sensors');
  list.textContent = '';
  for (const s of model.sensors) {
    const li = el('li');
    li.dataset.sensor = s.id;
    const kind = s.anomaly ? ` !${s.anomalyKind ? ' ' + s.anomalyKind : ''}` : '';
    const value = s.status === 'online' ? `${fmt(s.celsius)}°C${kind}` : s.status.toUpperCase();
    const cells = [el('span', '', s.name)];
    if (s.alarm) cells.push(el('span', 'alm', s.alarm.toUpperCase()));
    cells.push(el('span', `st-${s.status}` + (s.anomaly ? ' anom' : ''), value));
    li.append(...cells);
    list.append(li);
  }
  const msg = $('scr-msg');
  msg.textContent = '';
  if (model.message) {
    const when = model.message.receivedAt ? new Date(model.message.receivedAt).toLocaleTimeString() : '';
    msg.append(el('span', 'from', [model.message.sender, when].filter(Boolean).join(' · ')), el('span', 'text', model.message.text));
  }
  const st = model.status;
  $('scr-status').textContent = `net ${st.network} · hub ${st.hub} · outbox ${st.outbox}`;
  $('scr-badge').classList.toggle('hidden', !model.anomaly);
  $('scr-alarm').classList.toggle('hidden', !model.alarm);
  screen.classList.toggle('alarm', !!model.anomaly || !!model.alarm);
  screen.classList.toggle('identify', !!model.identify);
}
