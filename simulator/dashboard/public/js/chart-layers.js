// What a chart shows, one layer per entry, drawn in this order. Each layer has a legend label,
// a swatch shape (style.css .sw-<swatch>) and its colour in the CSS variable --c-<key>, which
// both the canvas and the legend read: add a layer here (and its --c-<key> and .sw-<key> rules)
// to add a mark to every chart and its legend.
//
// A layer's draw(g, frame, points, colour): g the 2D context, frame {x(i), y(celsius), top,
// bottom} in CSS pixels, points the samples of one sensor {value, mean, std, anomaly,
// anomalyKind, alarm, high, low, status}.

function band(g, f, points, colour) {
  const pts = [];
  points.forEach((p, i) => { if (p.mean !== null && p.std !== null) pts.push([i, p.mean, p.std]); });
  if (pts.length < 2) return;
  g.fillStyle = colour;
  g.beginPath();
  pts.forEach(([i, m, s], k) => (k === 0 ? g.moveTo(f.x(i), f.y(m + s)) : g.lineTo(f.x(i), f.y(m + s))));
  for (let k = pts.length - 1; k >= 0; k--) g.lineTo(f.x(pts[k][0]), f.y(pts[k][1] - pts[k][2]));
  g.closePath();
  g.fill();
}

/** A polyline through `pick(p)`, broken where it is null. */
function line(g, f, points, pick) {
  let open = false;
  g.beginPath();
  points.forEach((p, i) => {
    const v = pick(p);
    if (v === null) { open = false; return; }
    if (!open) { g.moveTo(f.x(i), f.y(v)); open = true; } else g.lineTo(f.x(i), f.y(v));
  });
  g.stroke();
}

function mean(g, f, points, colour) {
  g.strokeStyle = colour; g.setLineDash([4, 3]); g.lineWidth = 1.2;
  line(g, f, points, (p) => p.mean);
  g.setLineDash([]);
}

function value(g, f, points, colour) {
  g.strokeStyle = colour; g.lineWidth = 1.8;
  line(g, f, points, (p) => p.value);
}

/** The letter each anomaly kind is labelled with: S spike, L level shift, T trend. */
export const KIND_LETTER = Object.freeze({ spike: 'S', shift: 'L', trend: 'T' });

/** Anomalies: dots, and the kind's letter where the kind starts (or changes). */
function anomaly(g, f, points, colour) {
  g.fillStyle = colour;
  g.font = 'bold 10px system-ui, sans-serif';
  let previous = null;
  points.forEach((p, i) => {
    const kind = p.anomaly ? p.anomalyKind || null : null;
    if (p.anomaly && p.value !== null) {
      g.beginPath(); g.arc(f.x(i), f.y(p.value), 3.5, 0, 2 * Math.PI); g.fill();
      if (kind !== previous && kind) g.fillText(KIND_LETTER[kind] || '?', f.x(i) - 3, f.y(p.value) - 6);
    }
    previous = kind;
  });
}

/** Limits: a dashed line at each configured high and low limit, where it was set. */
function limit(g, f, points, colour) {
  g.strokeStyle = colour; g.setLineDash([6, 3]); g.lineWidth = 2;
  line(g, f, points, (p) => (typeof p.high === 'number' ? p.high : null));
  line(g, f, points, (p) => (typeof p.low === 'number' ? p.low : null));
  g.setLineDash([]);
}

/** Limit alarms: a triangle (up for high, down for low) on each sample while one lasts, labelled where it starts. */
function alarm(g, f, points, colour) {
  g.fillStyle = colour;
  g.font = 'bold 10px system-ui, sans-serif';
  let previous = null;
  points.forEach((p, i) => {
    const side = p.alarm || null;
    if (side && p.value !== null) {
      const x = f.x(i);
      const y = f.y(p.value);
      const d = side === 'high' ? -1 : 1;
      g.beginPath(); g.moveTo(x, y + 5 * d); g.lineTo(x - 4, y - 3 * d); g.lineTo(x + 4, y - 3 * d); g.closePath(); g.fill();
      if (side !== previous) g.fillText(side.toUpperCase(), x + 5, y + 12 * d);
    }
    previous = side;
  });
}

function fault(g, f, points, colour) {
  g.fillStyle = colour;
  points.forEach((p, i) => { if (p.status !== 'online') g.fillRect(f.x(i) - 1.5, f.top, 3, f.bottom - f.top); });
}

export const LAYERS = Object.freeze([
  { key: 'band', label: '±σ', swatch: 'area', draw: band },
  { key: 'mean', label: 'mean', swatch: 'dashed', draw: mean },
  { key: 'value', label: 'value', swatch: 'line', draw: value },
  { key: 'limit', label: 'limits', swatch: 'dashed', draw: limit },
  { key: 'anomaly', label: 'anomaly (S spike · L shift · T trend)', swatch: 'dot', draw: anomaly },
  { key: 'alarm', label: 'limit alarm (HIGH/LOW)', swatch: 'tri', draw: alarm },
  { key: 'fault', label: 'not online', swatch: 'area', draw: fault },
]);

/** The celsius values a layer needs in view (the y range covers them). */
export function extent(p) {
  const out = [];
  if (typeof p.value === 'number') out.push(p.value);
  if (p.mean !== null && p.std !== null) out.push(p.mean - p.std, p.mean + p.std);
  if (typeof p.high === 'number') out.push(p.high);
  if (typeof p.low === 'number') out.push(p.low);
  return out;
}
