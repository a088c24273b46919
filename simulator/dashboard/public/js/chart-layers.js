// What a chart shows, one layer per entry, drawn in this order. Each layer has a legend label,
// a swatch shape (style.css .sw-<swatch>) and its colour in the CSS variable --c-<key>, which
// both the canvas and the legend read: add a layer here (and its --c-<key> and .sw-<key> rules)
// to add a mark to every chart and its legend.
//
// A layer's draw(g, frame, points, colour): g the 2D context, frame {x(i), y(celsius), top,
// bottom} in CSS pixels, points the samples of one sensor {value, mean, std, anomaly, status}.

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

function anomaly(g, f, points, colour) {
  g.fillStyle = colour;
  points.forEach((p, i) => {
    if (!p.anomaly || p.value === null) return;
    g.beginPath(); g.arc(f.x(i), f.y(p.value), 3.5, 0, 2 * Math.PI); g.fill();
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
  { key: 'anomaly', label: 'anomaly', swatch: 'dot', draw: anomaly },
  { key: 'fault', label: 'not online', swatch: 'area', draw: fault },
]);

/** The celsius values a layer needs in view (the y range covers them). */
export function extent(p) {
  const out = [];
  if (typeof p.value === 'number') out.push(p.value);
  if (p.mean !== null && p.std !== null) out.push(p.mean - p.std, p.mean + p.std);
  return out;
}
