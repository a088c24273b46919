// Typed reads of the fields of a JSON request body: a field of the wrong type is a 400 naming
// the field, never silently dropped or coerced. Shared by the service API and the dashboard API.

/** IoT Hub's error code for an invalid argument (ArgumentInvalid), used with status 400. */
export const ARGUMENT_INVALID = 400004;

/** A client mistake: an HTTP status (4xx) and, where IoT Hub defines one, its error code. */
export class RequestError extends Error {
  constructor(public readonly status: number, message: string, public readonly errorCode?: number) {
    super(message);
  }
}

/** A JSON object from a request body. */
export type Fields = Record<string, unknown>;

export function invalid(message: string): RequestError {
  return new RequestError(400, message, ARGUMENT_INVALID);
}

/** `name` absent (undefined) or a string; `nonEmpty` also refuses "". */
export function optionalString(body: Fields, name: string, nonEmpty = false): string | undefined {
  const v = body[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || (nonEmpty && v === '')) throw invalid(`${name} must be a ${nonEmpty ? 'non-empty ' : ''}string`);
  return v;
}

export function requiredString(body: Fields, name: string): string {
  const v = optionalString(body, name, true);
  if (v === undefined) throw invalid(`${name} is required (a non-empty string)`);
  return v;
}

/** `name` absent or a finite number. */
export function optionalNumber(body: Fields, name: string): number | undefined {
  const v = body[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalid(`${name} must be a number`);
  return v;
}

/** `name` absent or a JSON object (not null, not an array). */
export function optionalObject(body: Fields, name: string): Fields | undefined {
  const v = body[name];
  if (v === undefined) return undefined;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw invalid(`${name} must be a JSON object`);
  return v as Fields;
}

/** `name` absent or an object whose values are all strings (application properties). */
export function optionalStringMap(body: Fields, name: string): Record<string, string> | undefined {
  const v = optionalObject(body, name);
  if (v === undefined) return undefined;
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [k, value] of Object.entries(v)) {
    if (k === '') throw invalid(`${name} names must be non-empty`);
    if (typeof value !== 'string') throw invalid(`${name} must map names to strings (${JSON.stringify(k)} is ${value === null ? 'null' : typeof value})`);
    out[k] = value;
  }
  return out;
}

/** `name` absent or one of `allowed`. */
export function optionalChoice<T extends string>(body: Fields, name: string, allowed: readonly T[]): T | undefined {
  const v = body[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) throw invalid(`${name} must be ${allowed.map((a) => JSON.stringify(a)).join(' or ')}`);
  return v as T;
}
