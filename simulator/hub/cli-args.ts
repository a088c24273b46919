// The command line of `npm run hub -- <command>`: parsed with node:util parseArgs in strict mode
// and checked per command (arguments, options that apply, numbers in range), so a mistake is a
// UsageError with a one-line message; cli.ts prints it and exits with status 2.
import { parseArgs } from 'node:util';

export const USAGE = `usage: npm run hub -- <command> [options]

  start [--data-dir .hub] [--host-name thermo-hub.localhost] [--mqtt-port 8883]
        [--dps-port 8884|off] [--http-port 8090|off] [--tcp-port N] [--id-scope 0ne0000THRM]
        [--wss-port N] [--dps-wss-port N]  MQTT over secure WebSockets (IoT Hub's 443), off by default
  devices                                   list devices
  create-device [id] [--key base64] [--thumbprint hex]
  delete-device <id>
  connection-string <id>
  c2d <id> <text> [--prop k=v]...           queue a cloud-to-device message
  twin <id> [--set '{"interval":10}']       show the twin, or patch desired properties
  method <id> <name> [json] [--timeout s]   invoke a direct method (s: more than 0, at most 300; default 30)
  telemetry <id> [--limit N] [--follow]     recent D2C events (follow: stream them)
  enroll <registrationId> [--key base64]    DPS individual enrollment
  enroll-group <groupId> [--key base64]     DPS enrollment group
  ca                                        print the CA certificate (PEM)
  help                                      this text

Commands other than start find the hub at --api URL, $HUB_API, the http port recorded in
<data-dir>/hub.json, or http://127.0.0.1:8090. Exit status: 0 done, 1 the hub refused or is
unreachable, 2 a usage error.`;

/** A mistake in the command line (exit status 2). */
export class UsageError extends Error {}

const OPTIONS = {
  'data-dir': { type: 'string' },
  'host-name': { type: 'string' },
  'mqtt-port': { type: 'string' },
  'dps-port': { type: 'string' },
  'http-port': { type: 'string' },
  'tcp-port': { type: 'string' },
  'wss-port': { type: 'string' },
  'dps-wss-port': { type: 'string' },
  'id-scope': { type: 'string' },
  api: { type: 'string' },
  key: { type: 'string' },
  thumbprint: { type: 'string' },
  prop: { type: 'string', multiple: true },
  set: { type: 'string' },
  timeout: { type: 'string' },
  limit: { type: 'string' },
  follow: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type OptionName = keyof typeof OPTIONS;

interface CommandSpec {
  /** required positional arguments, by name */
  args: string[];
  /** optional positional arguments after them */
  optional?: string[];
  /** options beyond the global ones (--api, --data-dir, --help) */
  options?: OptionName[];
}

const COMMANDS: Record<string, CommandSpec> = {
  help: { args: [] },
  start: { args: [], options: ['host-name', 'mqtt-port', 'dps-port', 'http-port', 'tcp-port', 'wss-port', 'dps-wss-port', 'id-scope'] },
  devices: { args: [] },
  'create-device': { args: [], optional: ['id'], options: ['key', 'thumbprint'] },
  'delete-device': { args: ['id'] },
  'connection-string': { args: ['id'] },
  c2d: { args: ['id', 'text'], options: ['prop'] },
  twin: { args: ['id'], options: ['set'] },
  method: { args: ['id', 'name'], optional: ['json'], options: ['timeout'] },
  telemetry: { args: ['id'], options: ['limit', 'follow'] },
  enroll: { args: ['registrationId'], options: ['key'] },
  'enroll-group': { args: ['groupId'], options: ['key'] },
  ca: { args: [] },
};
const GLOBAL: OptionName[] = ['api', 'data-dir', 'help'];

export interface CliCommand {
  command: string;
  /** positional arguments by the names in the usage (`id`, `text`, `name`, `json`, ...) */
  args: Record<string, string>;
  dataDir?: string;
  api?: string;
  hostName?: string;
  idScope?: string;
  key?: string;
  thumbprint?: string;
  /** ports: a number (0 picks a free one), null for `off`, undefined when not given */
  mqttPort?: number;
  dpsPort?: number | null;
  httpPort?: number | null;
  tcpPort?: number | null;
  wssPort?: number | null;
  dpsWssPort?: number | null;
  properties?: Record<string, string>;
  /** --set, parsed: a desired-properties patch */
  set?: Record<string, unknown>;
  /** the method payload, parsed (null when not given) */
  payload?: unknown;
  timeoutSeconds?: number;
  limit?: number;
  follow?: boolean;
}

/** Parses argv (without node and the script); throws UsageError. `help` also stands for --help/-h and no command. */
export function parseCli(argv: string[]): CliCommand {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: negativeValues(argv), options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    // the first line of parseArgs' message names the option; its stack is no help to a user
    throw new UsageError((e as Error).message.split('\n')[0].replace(/\. To specify a positional argument.*$/, ''));
  }
  const { values, positionals } = parsed;
  const name = values.help || positionals.length === 0 ? 'help' : positionals[0];
  const spec = COMMANDS[name];
  if (!spec) throw new UsageError(`unknown command '${name}'`);
  if (name === 'help') return { command: 'help', args: {} };
  const given = positionals.slice(1);
  const names = [...spec.args, ...(spec.optional ?? [])];
  if (given.length < spec.args.length) throw new UsageError(`${name} needs <${spec.args[given.length]}>: ${name} ${spec.args.map((a) => `<${a}>`).join(' ')}`);
  if (given.length > names.length) throw new UsageError(`${name} takes ${names.length === 0 ? 'no arguments' : `at most ${names.length} argument${names.length > 1 ? 's' : ''}`}, got '${given[names.length]}'${name === 'c2d' ? ' (quote text with spaces)' : ''}`);
  for (const option of Object.keys(values) as OptionName[]) {
    if (!GLOBAL.includes(option) && !(spec.options ?? []).includes(option)) throw new UsageError(`option --${option} does not apply to ${name}`);
  }
  const args: Record<string, string> = {};
  given.forEach((v, i) => (args[names[i]] = v));
  for (const [k, v] of Object.entries(args)) if (v === '' || (k === 'text' && v.trim() === '')) throw new UsageError(`${name}: <${k}> must not be empty`);
  return {
    command: name,
    args,
    ...copy(values, 'data-dir', 'dataDir'),
    ...copy(values, 'api', 'api'),
    ...copy(values, 'host-name', 'hostName'),
    ...copy(values, 'id-scope', 'idScope'),
    ...copy(values, 'key', 'key'),
    ...copy(values, 'thumbprint', 'thumbprint'),
    ...(values['mqtt-port'] !== undefined ? { mqttPort: port('mqtt-port', values['mqtt-port'], false) as number } : {}),
    ...(values['dps-port'] !== undefined ? { dpsPort: port('dps-port', values['dps-port'], true) } : {}),
    ...(values['http-port'] !== undefined ? { httpPort: port('http-port', values['http-port'], true) } : {}),
    ...(values['tcp-port'] !== undefined ? { tcpPort: port('tcp-port', values['tcp-port'], true) } : {}),
    ...(values['wss-port'] !== undefined ? { wssPort: port('wss-port', values['wss-port'], true) } : {}),
    ...(values['dps-wss-port'] !== undefined ? { dpsWssPort: port('dps-wss-port', values['dps-wss-port'], true) } : {}),
    ...(values.prop !== undefined ? { properties: properties(values.prop) } : {}),
    ...(values.set !== undefined ? { set: jsonObject('--set', values.set) } : {}),
    ...(name === 'method' ? { payload: args.json === undefined ? null : json('<json>', args.json) } : {}),
    ...(values.timeout !== undefined ? { timeoutSeconds: seconds(values.timeout) } : {}),
    ...(values.limit !== undefined ? { limit: positiveInteger('--limit', values.limit) } : {}),
    ...(values.follow ? { follow: true } : {}),
  };
}

/** `--timeout -1` as `--timeout=-1`, so a negative number reaches the range check instead of reading as an option. */
function negativeValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].startsWith('--') ? argv[i].slice(2) : '';
    const next = argv[i + 1];
    if (name in OPTIONS && OPTIONS[name as OptionName].type === 'string' && next !== undefined && /^-[\d.]/.test(next)) {
      out.push(`${argv[i]}=${next}`);
      i++;
    } else out.push(argv[i]);
  }
  return out;
}

function copy<K extends string>(values: Record<string, unknown>, from: OptionName, to: K): Partial<Record<K, string>> {
  const v = values[from];
  if (v === undefined) return {};
  if (v === '') throw new UsageError(`--${from} must not be empty`);
  return { [to]: v } as Record<K, string>;
}

function port(option: string, s: string, canBeOff: boolean): number | null {
  if (canBeOff && s === 'off') return null;
  if (!/^\d+$/.test(s) || Number(s) > 65535) throw new UsageError(`--${option} must be a port number 0..65535${canBeOff ? " or 'off'" : ''}, got '${s}'`);
  return Number(s);
}

function seconds(s: string): number {
  const n = Number(s);
  if (s.trim() === '' || !Number.isFinite(n) || n <= 0 || n > 300) throw new UsageError(`--timeout must be a number of seconds, more than 0 and at most 300, got '${s}'`);
  return n;
}

function positiveInteger(option: string, s: string): number {
  if (!/^\d+$/.test(s) || Number(s) < 1) throw new UsageError(`${option} must be a positive integer, got '${s}'`);
  return Number(s);
}

function properties(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of list) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new UsageError(`--prop must be name=value, got '${p}'`);
    out[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return out;
}

function json(what: string, s: string): unknown {
  try {
    return JSON.parse(s) as unknown;
  } catch {
    throw new UsageError(`${what} must be JSON, got '${s}'`);
  }
}

function jsonObject(what: string, s: string): Record<string, unknown> {
  const v = json(what, s);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new UsageError(`${what} must be a JSON object, got '${s}'`);
  return v as Record<string, unknown>;
}
