/**
 * The device's topics on an Event Grid namespace's MQTT broker, from configurable templates.
 *
 * Event Grid has no fixed device topics (unlike IoT Hub's devices/{id}/messages/events/): the
 * namespace's topic spaces and permission bindings say where a client may publish and subscribe,
 * with templates such as `devices/${client.authenticationName}/#`
 * (https://learn.microsoft.com/azure/event-grid/mqtt-topic-spaces). So the device's topics are
 * configuration too, with the same variables: `{deviceId}` and `${client.authenticationName}`
 * both stand for the device's authentication name.
 *
 * Defaults:
 *   telemetry  devices/{deviceId}/telemetry      PUBLISH QoS 1, content type + user properties
 *   commands   devices/{deviceId}/commands       SUBSCRIBE `<commands>/+`; the last level is the
 *                                                command (method) name; answered on the request's
 *                                                response topic with its correlation data
 *   messages   devices/{deviceId}/messages       SUBSCRIBE: text for the display (as IoT Hub C2D)
 *   state      devices/{deviceId}/state          PUBLISH QoS 1: the reported-properties patch
 */
import { validateTopicFilter, validateTopicName } from '../mqtt/topic';

export interface TopicTemplates {
  telemetry?: string;
  commands?: string;
  messages?: string;
  state?: string;
}

export interface DeviceTopics {
  telemetry: string;
  /** The commands prefix, without the trailing level. */
  commands: string;
  /** `<commands>/+`, what the device subscribes to for commands. */
  commandFilter: string;
  messages: string;
  state: string;
}

export const DEFAULT_TOPICS: Readonly<Required<TopicTemplates>> = Object.freeze({
  telemetry: 'devices/{deviceId}/telemetry',
  commands: 'devices/{deviceId}/commands',
  messages: 'devices/{deviceId}/messages',
  state: 'devices/{deviceId}/state',
});

const VARIABLES: readonly string[] = Object.freeze(['${client.authenticationName}', '{deviceId}']);

/** Replaces every `{deviceId}` and `${client.authenticationName}` with `name`. */
export function expandTemplate(template: string, name: string): string {
  let out = template;
  for (const variable of VARIABLES) out = out.split(variable).join(name);
  return out;
}

export class TopicTemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TopicTemplateError';
  }
}

/**
 * The device's topics for authentication name `name`. Throws TopicTemplateError when a template
 * leaves a `{...}` unexpanded, or expands to no valid topic name (wildcards, empty, too long), or
 * `name` itself holds a topic separator or wildcard.
 */
export function deviceTopics(name: string, templates: TopicTemplates = {}): DeviceTopics {
  if (name === '' || name.indexOf('/') >= 0 || name.indexOf('+') >= 0 || name.indexOf('#') >= 0) throw new TopicTemplateError(`the authentication name "${name}" cannot be a topic level (empty, or holds / + #)`);
  const topic = (key: keyof TopicTemplates): string => {
    const template = templates[key] ?? DEFAULT_TOPICS[key];
    const expanded = expandTemplate(template, name);
    const open = expanded.indexOf('{');
    if (open >= 0 && expanded.indexOf('}', open + 1) > open) throw new TopicTemplateError(`${key} topic template "${template}": unknown variable (use {deviceId} or \${client.authenticationName})`);
    const error = validateTopicName(expanded);
    if (error) throw new TopicTemplateError(`${key} topic template "${template}": ${error.message}`);
    return expanded;
  };
  const commands = topic('commands');
  const commandFilter = `${commands}/+`;
  const error = validateTopicFilter(commandFilter);
  if (error) throw new TopicTemplateError(`commands topic "${commands}": ${error.message}`);
  return { telemetry: topic('telemetry'), commands, commandFilter, messages: topic('messages'), state: topic('state') };
}

/** The command name of a message on `<commands>/<name>`, or undefined for any other topic. */
export function commandName(topics: DeviceTopics, topic: string): string | undefined {
  const prefix = topics.commands + '/';
  if (topic.length <= prefix.length || topic.slice(0, prefix.length) !== prefix) return undefined;
  const name = topic.slice(prefix.length);
  return name.indexOf('/') < 0 ? name : undefined;
}
