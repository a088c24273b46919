// Draws one sensor's chart on a <canvas>: grid and labels, then each layer of chart-layers.js.
// Colours come from CSS: the labels use the canvas's `color`, each layer its --c-<key>.
import { extent, LAYERS } from './chart-layers.js';

const MARGIN = { left: 40, right: 8, top: 8, bottom: 18 };
/** Samples the x axis holds before it starts to scroll. */
const MIN_SLOTS = 60;

function yRange(points) {
  let lo = Infinity, hi = -Infinity;
  for (const p of points) for (const v of extent(p)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  if (!isFinite(lo)) { lo = 0; hi = 1; }
  if (hi - lo < 0.5) { const mid = (hi + lo) / 2; lo = mid - 0.25; hi = mid + 0.25; }
  const pad = (hi - lo) * 0.08;
  return [lo - pad, hi + pad];
}

/** Fits the canvas to its CSS size at the device pixel ratio; returns the 2D context and the size. */
function fit(canvas) {
  const ratio = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || 360;
  const h = canvas.clientHeight || 170;
  if (canvas.width !== Math.round(w * ratio)) canvas.width = Math.round(w * ratio);
  if (canvas.height !== Math.round(h * ratio)) canvas.height = Math.round(h * ratio);
  const g = canvas.getContext('2d');
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, w, h);
  return { g, w, h };
}

export function drawChart(canvas, points) {
  const { g, w, h } = fit(canvas);
  const css = getComputedStyle(canvas);
  const [lo, hi] = yRange(points);
  const slots = Math.max(points.length, MIN_SLOTS);
  const frame = {
    x: (i) => MARGIN.left + (i / (slots - 1)) * (w - MARGIN.left - MARGIN.right),
    y: (v) => MARGIN.top + (1 - (v - lo) / (hi - lo)) * (h - MARGIN.top - MARGIN.bottom),
    top: MARGIN.top,
    bottom: h - MARGIN.bottom,
  };
  g.strokeStyle = css.getPropertyValue('--c-grid').trim();
  g.fillStyle = css.color;
  g.font = '10px system-ui, sans-serif';
  g.lineWidth = 1;
  for (let k = 0; k <= 4; k++) {
    const v = lo + ((hi - lo) * k) / 4;
    const y = frame.y(v);
    g.beginPath(); g.moveTo(MARGIN.left, y); g.lineTo(w - MARGIN.right, y); g.stroke();
    g.fillText(v.toFixed(1), 4, y + 3);
  }
  g.fillText(`${points.length} samples`, MARGIN.left, h - 4);
  for (const layer of LAYERS) layer.draw(g, frame, points, css.getPropertyValue(`--c-${layer.key}`).trim());
}
