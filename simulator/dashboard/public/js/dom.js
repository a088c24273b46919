// Small DOM helpers. No inline styles anywhere: the page's CSP refuses them, so state is shown
// by classes (style.css) and text.

export const $ = (id) => document.getElementById(id);

/** An element with a class name and text. */
export function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Shows a result line: plain, or as an error. */
export function setResult(node, text, error) {
  node.textContent = text;
  node.classList.toggle('err', !!error);
}

/** The connection pill: 'connecting' (grey), 'waiting' (grey), 'live' (green), 'bad' (red). */
export function setConnection(kind, text) {
  const pill = $('conn');
  pill.textContent = text;
  pill.className = 'pill' + (kind === 'live' ? ' ok' : kind === 'bad' ? ' bad' : '');
  pill.dataset.state = kind;
}
