/**
 * MQTT topic names and topic filters (MQTT 3.1.1 section 4.7): validation and matching.
 *
 *   validateTopicName(topic)      ProtocolError | undefined  (for PUBLISH: no wildcards, not empty)
 *   validateTopicFilter(filter)   ProtocolError | undefined  (for SUBSCRIBE/UNSUBSCRIBE)
 *   topicMatches(filter, topic)   boolean; both assumed valid. '$'-topics are not matched by a
 *                                 leading wildcard [MQTT-4.7.2-1]; 'a/#' matches 'a'.
 *
 * topicNameLength / topicFilterLength validate and measure (UTF-8 bytes) in one pass without
 * allocating; the codec uses them on its hot path. They return a negative SCAN_* code on error.
 */
import { protocolError, scanError, SCAN_EMPTY_TOPIC, SCAN_INVALID_TOPIC_FILTER, SCAN_WILDCARD_IN_TOPIC } from './errors';
import type { ProtocolError } from './packets';
import { utf8Length } from '../text/utf8';

const SLASH = 0x2f;
const PLUS = 0x2b;
const HASH = 0x23;
const DOLLAR = 0x24;

/** Longest UTF-8 string a 16-bit length prefix allows. */
export const MAX_STRING_BYTES = 65535;

/** UTF-8 length of a topic name, or a negative SCAN_* code (empty, wildcard, U+0000, lone surrogate). */
export function topicNameLength(topic: string): number {
  const n = topic.length;
  if (n === 0) return SCAN_EMPTY_TOPIC;
  for (let i = 0; i < n; i++) {
    const c = topic.charCodeAt(i);
    if (c === PLUS || c === HASH) return SCAN_WILDCARD_IN_TOPIC;
    if (c >= 0x80 || c === 0) return utf8Length(topic, true); // rare: let the general scanner decide
  }
  return n;
}

/** UTF-8 length of a topic filter, or a negative SCAN_* code. */
export function topicFilterLength(filter: string): number {
  const n = filter.length;
  if (n === 0) return SCAN_INVALID_TOPIC_FILTER;
  let ascii = true;
  for (let i = 0; i < n; i++) {
    const c = filter.charCodeAt(i);
    if (c === PLUS || c === HASH) {
      // A wildcard occupies a whole level; '#' is also the last character.
      if (i > 0 && filter.charCodeAt(i - 1) !== SLASH) return SCAN_INVALID_TOPIC_FILTER;
      if (c === HASH ? i !== n - 1 : i + 1 < n && filter.charCodeAt(i + 1) !== SLASH) return SCAN_INVALID_TOPIC_FILTER;
    } else if (c >= 0x80 || c === 0) {
      ascii = false;
    }
  }
  return ascii ? n : utf8Length(filter, true);
}

export function validateTopicName(topic: string): ProtocolError | undefined {
  const length = topicNameLength(topic);
  if (length < 0) return scanError(length, 'topic name');
  if (length > MAX_STRING_BYTES) return protocolError('FIELD_TOO_LONG', `topic name is ${length} bytes; at most ${MAX_STRING_BYTES}`);
  return undefined;
}

export function validateTopicFilter(filter: string): ProtocolError | undefined {
  const length = topicFilterLength(filter);
  if (length < 0) return scanError(length, 'topic filter');
  if (length > MAX_STRING_BYTES) return protocolError('FIELD_TOO_LONG', `topic filter is ${length} bytes; at most ${MAX_STRING_BYTES}`);
  return undefined;
}

/** True when `topic` (a valid topic name) matches `filter` (a valid topic filter). Allocation-free. */
export function topicMatches(filter: string, topic: string): boolean {
  const fl = filter.length;
  const tl = topic.length;
  const first = filter.charCodeAt(0);
  if (topic.charCodeAt(0) === DOLLAR && (first === HASH || first === PLUS)) return false;
  let f = 0;
  let t = 0;
  while (f < fl) {
    const c = filter.charCodeAt(f);
    if (c === HASH) return true; // matches this level and everything below
    if (c === PLUS) {
      while (t < tl && topic.charCodeAt(t) !== SLASH) t++;
      f++;
    } else if (t < tl && topic.charCodeAt(t) === c) {
      f++;
      t++;
    } else {
      // 'a/#' also matches the parent level 'a' [MQTT 4.7.1.2].
      return t === tl && c === SLASH && f + 2 === fl && filter.charCodeAt(f + 1) === HASH;
    }
  }
  return t === tl;
}
