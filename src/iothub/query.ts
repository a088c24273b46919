/**
 * Reading `name=value` from the query part of a response topic, e.g. the `$rid` and
 * `$version` of `$iothub/twin/res/200/?$rid=7&$version=4`, without splitting the topic into
 * a record first.
 */
import { urlDecode } from './url-encoding';

/**
 * The URL-decoded value of `name` in text[start, end) (pairs separated by '&'), '' for a bare
 * `name` or `name=`, undefined when absent.
 */
export function queryValue(text: string, start: number, name: string, end = text.length): string | undefined {
  let i = start;
  while (i < end) {
    let amp = text.indexOf('&', i);
    if (amp < 0 || amp > end) amp = end;
    const n = name.length;
    if (text.startsWith(name, i) && (i + n === amp || text.charCodeAt(i + n) === 61 /* = */)) {
      return i + n >= amp ? '' : urlDecode(text, i + n + 1, amp);
    }
    i = amp + 1;
  }
  return undefined;
}

/** Parses a decimal integer made only of digits (no sign, no spaces), or returns undefined. */
export function parseDecimal(text: string | undefined): number | undefined {
  if (text === undefined || text.length === 0 || text.length > 15) return undefined;
  let v = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return undefined;
    v = v * 10 + c;
  }
  return v;
}
