/**
 * MQTT 5.0 Topic Aliases (OASIS MQTT 5.0 section 3.3.2.3.4), both directions of one connection.
 * Aliases live only as long as the network connection: reset() both at every connect.
 *
 *   OutboundTopicAliases: the client's own aliases, 1..the server's Topic Alias Maximum (CONNACK).
 *     lookup(topic) -> the alias and whether the topic must still be sent (first use), or 0 (none:
 *     all aliases taken, or the server allows none). The first `maximum` distinct topics get one;
 *     a device publishes to a few fixed topics, so no eviction is needed.
 *   InboundTopicAliases: the server's aliases, 1..our Topic Alias Maximum (CONNECT).
 *     resolve(alias, topic) -> the topic name, or a negative code: ALIAS_OUT_OF_RANGE (0 or above
 *     the maximum) or ALIAS_UNKNOWN (empty topic and an alias never set) [MQTT-3.3.2-7, 3.3.2-9].
 */

export const ALIAS_OUT_OF_RANGE = -1;
export const ALIAS_UNKNOWN = -2;

export class OutboundTopicAliases {
  private maximum = 0;
  private readonly aliases = new Map<string, number>();
  /** Set by lookup(): true when the topic name must go with the alias (its first use). */
  firstUse = false;

  /** Forget every alias; the new connection allows up to `maximum` (0: none). */
  reset(maximum: number): void {
    this.maximum = maximum;
    this.aliases.clear();
  }

  /** The alias for `topic`, assigning one if there is room, or 0. firstUse says whether it is new. */
  lookup(topic: string): number {
    const known = this.aliases.get(topic);
    if (known !== undefined) {
      this.firstUse = false;
      return known;
    }
    if (this.aliases.size >= this.maximum) return 0;
    const alias = this.aliases.size + 1;
    this.aliases.set(topic, alias);
    this.firstUse = true;
    return alias;
  }
}

export class InboundTopicAliases {
  private maximum = 0;
  /** Topic by alias (a Map, not an array: a server may pick any alias up to the maximum). */
  private readonly topics = new Map<number, string>();

  reset(maximum: number): void {
    this.maximum = maximum;
    this.topics.clear();
  }

  /** The topic a PUBLISH with `alias` and `topic` (maybe '') stands for, or ALIAS_OUT_OF_RANGE / ALIAS_UNKNOWN. */
  resolve(alias: number, topic: string): string | number {
    if (!(alias >= 1 && alias <= this.maximum)) return ALIAS_OUT_OF_RANGE;
    if (topic !== '') {
      this.topics.set(alias, topic);
      return topic;
    }
    const known = this.topics.get(alias);
    return known === undefined ? ALIAS_UNKNOWN : known;
  }
}
