/*
 * The escaping template tag: every interpolated value is HTML-escaped unless it
 * is SafeHtml (the result of another `html` or of `raw`). Pages build markup only
 * through it, so a product name or a review can never become markup.
 */

export class SafeHtml {
  constructor(text) { this.text = text; }
  toString() { return this.text; }
}

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (value) => String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]);
export const raw = (text) => new SafeHtml(text);

function fragment(value) {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.text;
  if (Array.isArray(value)) return value.map(fragment).join('');
  return escapeHtml(value);
}

/** Tagged template: every interpolated value is escaped unless it is SafeHtml. */
export function html(strings, ...values) {
  let out = strings[0];
  values.forEach((value, i) => { out += fragment(value) + strings[i + 1]; });
  return new SafeHtml(out);
}

/** A boolean attribute, present when cond is truthy. */
export const attrIf = (cond, name) => (cond ? raw(` ${name}`) : '');

/** Only http(s) and relative URLs may reach src/href. */
export function safeUrl(url) {
  if (typeof url !== 'string' || !url.trim()) return null;
  const value = url.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(value);
  if (scheme && !/^https?$/i.test(scheme[1])) return null;
  return value;
}
