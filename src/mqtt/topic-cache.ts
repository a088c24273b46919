/**
 * A few validated PUBLISH topic names and their UTF-8 bytes, so a client publishing to the same
 * topics again and again (a device's telemetry) validates and encodes each topic once instead of
 * per message. In XS, walking a 74-character topic with charCodeAt costs ~3,400 computrons and
 * about two slots per character (a String wrapper per call); a cache hit is one string
 * comparison per entry and no allocation (bench/mqtt-session.ts measures the whole publish path).
 *
 *   new TopicCache(capacity = 4)
 *   bytes(topic): Uint8Array | undefined   the topic's UTF-8 bytes (a valid topic name: MQTT
 *        3.1.1 section 4.7.3, not empty, no wildcard, no U+0000, no lone surrogate, at most
 *        65,535 bytes), or undefined when it is not valid (the caller reports why through the
 *        codec). A miss validates, encodes and replaces the least recently added entry.
 *
 * The returned bytes belong to the cache: read them before the next bytes() call, never write.
 * Both string representations (UTF-16 code units and Moddable's code points) are measured by
 * ../text/utf8, so a non-ASCII topic is cached as correctly as an ASCII one.
 */
import { MAX_STRING_BYTES, topicNameLength } from './topic';
import { writeUtf8 } from '../text/utf8';

export class TopicCache {
  private readonly topics: string[] = [];
  private readonly encoded: Uint8Array[] = [];
  private readonly capacity: number;
  private nextVictim = 0;

  constructor(capacity = 4) {
    this.capacity = Math.max(1, capacity);
  }

  bytes(topic: string): Uint8Array | undefined {
    const topics = this.topics;
    for (let i = 0; i < topics.length; i++) if (topics[i] === topic) return this.encoded[i];
    const length = topicNameLength(topic);
    if (length < 0 || length > MAX_STRING_BYTES) return undefined;
    const bytes = new Uint8Array(length);
    writeUtf8(topic, bytes, 0);
    if (topics.length < this.capacity) {
      topics.push(topic);
      this.encoded.push(bytes);
    } else {
      topics[this.nextVictim] = topic;
      this.encoded[this.nextVictim] = bytes;
      this.nextVictim = (this.nextVictim + 1) % this.capacity;
    }
    return bytes;
  }
}
