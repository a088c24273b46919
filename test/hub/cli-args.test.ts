// The CLI's command line: each mistake is a UsageError with a one-line message (cli.ts exits 2 on it).
import { describe, expect, it } from 'vitest';
import { parseCli, UsageError } from '../../simulator/hub/cli-args';

function usageError(argv: string[]): string {
  try {
    parseCli(argv);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    expect((e as Error).message).not.toContain('\n');
    return (e as Error).message;
  }
  throw new Error(`no usage error for ${JSON.stringify(argv)}`);
}

describe('CLI arguments', () => {
  it('help, -h, --help and no command all ask for the usage', () => {
    for (const argv of [['help'], [], ['-h'], ['--help'], ['devices', '--help']]) expect(parseCli(argv).command).toBe('help');
  });

  it('refuses unknown commands and options, and options of other commands', () => {
    expect(usageError(['frob'])).toBe("unknown command 'frob'");
    expect(usageError(['devices', '--bogus'])).toBe("Unknown option '--bogus'");
    expect(usageError(['devices', '--timeout', '3'])).toBe('option --timeout does not apply to devices');
    expect(usageError(['telemetry', 'd', '--limit'])).toBe("Option '--limit <value>' argument missing");
  });

  it('needs the arguments of each command, and no more', () => {
    expect(usageError(['c2d', 'dev-1'])).toBe('c2d needs <text>: c2d <id> <text>');
    expect(usageError(['c2d', 'dev-1', '  '])).toBe('c2d: <text> must not be empty');
    expect(usageError(['c2d', 'dev-1', 'two', 'words'])).toBe("c2d takes at most 2 arguments, got 'words' (quote text with spaces)");
    expect(usageError(['delete-device'])).toBe('delete-device needs <id>: delete-device <id>');
    expect(usageError(['method', 'dev-1'])).toBe('method needs <name>: method <id> <name>');
    expect(usageError(['devices', 'extra'])).toBe("devices takes no arguments, got 'extra'");
  });

  it('checks numbers, JSON and properties', () => {
    const timeout = (s: string) => `--timeout must be a number of seconds, more than 0 and at most 300, got '${s}'`;
    expect(usageError(['method', 'd', 'm', '--timeout', 'abc'])).toBe(timeout('abc'));
    expect(usageError(['method', 'd', 'm', '--timeout', '-1'])).toBe(timeout('-1'));
    expect(usageError(['method', 'd', 'm', '--timeout=0'])).toBe(timeout('0'));
    expect(usageError(['method', 'd', 'm', '--timeout', '301'])).toBe(timeout('301'));
    expect(usageError(['method', 'd', 'm', '{bad'])).toBe("<json> must be JSON, got '{bad'");
    expect(usageError(['telemetry', 'd', '--limit', '0'])).toBe("--limit must be a positive integer, got '0'");
    expect(usageError(['twin', 'd', '--set', '[1]'])).toBe("--set must be a JSON object, got '[1]'");
    expect(usageError(['c2d', 'd', 'hi', '--prop', 'novalue'])).toBe("--prop must be name=value, got 'novalue'");
    expect(usageError(['start', '--mqtt-port', 'off'])).toBe("--mqtt-port must be a port number 0..65535, got 'off'");
    expect(usageError(['start', '--http-port', '70000'])).toBe("--http-port must be a port number 0..65535 or 'off', got '70000'");
  });

  it('parses good command lines', () => {
    expect(parseCli(['c2d', 'dev-1', 'hello there', '--prop', 'a=1', '--prop', 'b=x=y'])).toEqual({ command: 'c2d', args: { id: 'dev-1', text: 'hello there' }, properties: { a: '1', b: 'x=y' } });
    expect(parseCli(['method', 'd', 'identify', '{"durationMs":500}', '--timeout', '2.5'])).toMatchObject({ payload: { durationMs: 500 }, timeoutSeconds: 2.5 });
    expect(parseCli(['method', 'd', 'ping'])).toMatchObject({ payload: null });
    expect(parseCli(['start', '--dps-port', 'off', '--http-port', '0', '--data-dir', '/tmp/x'])).toMatchObject({ dpsPort: null, httpPort: 0, dataDir: '/tmp/x' });
    expect(parseCli(['telemetry', 'd', '--limit', '5', '--follow'])).toMatchObject({ limit: 5, follow: true });
  });
});
