// The chart cards: one per sensor with a title, status, canvas and legend. Above them a note
// says what is going on while there is nothing to draw: loading, or a device without sensors.
import { drawChart } from './chart-draw.js';
import { LAYERS } from './chart-layers.js';
import { $, el } from './dom.js';

export const HISTORY = 180;
const cards = new Map();

function legend() {
  const box = el('div', 'legend');
  for (const layer of LAYERS) {
    const item = el('span', 'item');
    item.dataset.layer = layer.key;
    item.append(el('i', `sw sw-${layer.swatch} sw-${layer.key}`), document.createTextNode(layer.label));
    box.append(item);
  }
  return box;
}

function cardFor(id) {
  let c = cards.get(id);
  if (c) return c;
  const box = el('div', 'chart');
  box.dataset.sensor = id;
  const title = el('span');
  const st = el('span', 'st');
  st.dataset.testid = 'chart-status';
  const h = el('h3');
  h.append(title, st);
  const canvas = el('canvas');
  canvas.setAttribute('role', 'img');
  box.append(h, canvas, legend());
  $('charts').append(box);
  c = { box, title, st, canvas };
  cards.set(id, c);
  return c;
}

export function clearCharts() {
  for (const c of cards.values()) c.box.remove();
  cards.clear();
}

/** The note above the charts: text, or none. */
export function setChartsNote(text) {
  const note = $('charts-note');
  note.textContent = text || '';
  note.classList.toggle('hidden', !text);
}

/**
 * Draws the charts of one device from its samples. `model`: its DisplayModel if it has arrived;
 * no sensors in it (or samples without sensors) is the empty state, nothing at all is loading.
 */
export function renderCharts(samples, model) {
  const bySensor = new Map();
  for (const sample of samples) {
    for (const s of sample.sensors) {
      if (!bySensor.has(s.id)) bySensor.set(s.id, { name: s.name, points: [] });
      bySensor.get(s.id).points.push(s);
    }
  }
  for (const [id, c] of cards) if (!bySensor.has(id)) { c.box.remove(); cards.delete(id); }
  if (bySensor.size === 0) {
    const none = (model && model.sensors.length === 0) || samples.length > 0;
    setChartsNote(none ? 'This device has no sensors: nothing to chart.' : 'Waiting for the first samples…');
    return;
  }
  setChartsNote('');
  for (const [id, { name, points }] of bySensor) {
    const c = cardFor(id);
    const last = points[points.length - 1];
    c.title.textContent = `${name} (${id}) ${last.value !== null ? last.value.toFixed(2) + ' °C' : ''}`;
    c.st.textContent = last.status + (last.anomaly ? ` · anomaly${last.anomalyKind ? ' (' + last.anomalyKind + ')' : ''}` : '') + (last.alarm ? ` · ${last.alarm.toUpperCase()} alarm` : '');
    c.st.className = 'st ' + last.status;
    c.box.dataset.points = String(points.length);
    c.box.dataset.status = last.status;
    c.canvas.setAttribute('aria-label', `temperature of ${name}, last ${points.length} samples`);
    drawChart(c.canvas, points.slice(-HISTORY));
  }
}
