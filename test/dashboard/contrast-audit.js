// Evaluated in the page by the Chromium test (page.evaluate(auditContrast)): the WCAG 2.x contrast ratio of
// every text a person can see. Texts are the visible elements with a non-blank text node of
// their own, the form controls (their value, or their placeholder when empty) and the chart
// canvases (their labels are drawn in the canvas's CSS `color`). The background is the
// element's own background colour composited over its ancestors' until an opaque one.
// Returns [{what, text, fg, bg, ratio}], one per text. Self-contained: playwright sends its source.
// Source: WCAG 2.2 relative luminance and contrast ratio (https://www.w3.org/TR/WCAG22/#dfn-contrast-ratio).
export function auditContrast() {
  const parse = (css) => {
    const m = /^rgba?\(([^)]+)\)$/.exec(css.trim());
    if (!m) throw new Error(`unexpected colour ${css}`);
    const p = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const over = (top, bottom) => {
    const a = top.a + bottom.a * (1 - top.a);
    if (a === 0) return { r: 0, g: 0, b: 0, a: 0 };
    const mix = (k) => (top[k] * top.a + bottom[k] * bottom.a * (1 - top.a)) / a;
    return { r: mix('r'), g: mix('g'), b: mix('b'), a };
  };
  const luminance = (c) => {
    const f = (v) => {
      const s = v / 255;
      return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c.a > 0) layers.push(c);
      if (c.a >= 1) break;
    }
    let bg = { r: 255, g: 255, b: 255, a: 1 };
    for (let i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
    return bg;
  };
  const hex = (c) => '#' + [c.r, c.g, c.b].map((v) => Math.round(v).toString(16).padStart(2, '0')).join('');
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? `#${el.id}` : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : '');
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true });
  };
  const out = [];
  const measure = (el, text, colour) => {
    const bg = background(el);
    const fg = over(parse(colour), bg);
    const [hi, lo] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
    out.push({ what: describe(el), text: text.trim().slice(0, 40), fg: hex(fg), bg: hex(bg), ratio: Math.round(((hi + 0.05) / (lo + 0.05)) * 100) / 100 });
  };
  for (const el of document.body.querySelectorAll('*')) {
    if (!visible(el)) continue;
    const style = getComputedStyle(el);
    if (el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement) {
      if (el.value !== '') measure(el, el.value, style.color);
      else if (el.placeholder) measure(el, el.placeholder, getComputedStyle(el, '::placeholder').color);
      continue;
    }
    if (el instanceof HTMLSelectElement) {
      const option = el.selectedOptions[0];
      if (option) measure(el, option.textContent, style.color);
      continue;
    }
    if (el instanceof HTMLCanvasElement) {
      measure(el, '(chart labels)', style.color);
      continue;
    }
    if (el instanceof HTMLOptionElement) continue;
    const own = [...el.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.textContent).join('');
    if (own.trim() !== '') measure(el, own, style.color);
  }
  return out;
}
