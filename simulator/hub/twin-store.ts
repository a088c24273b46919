// Device twins: desired and reported sections with versions, merge-patch semantics, persisted.
import { join } from 'node:path';
import { readJson, writeJson } from './json-file';
import { LIMITS } from './rules';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

interface Section {
  props: JsonObject;
  version: number;
  lastUpdated: string;
}

interface Twin {
  desired: Section;
  reported: Section;
  tags: JsonObject;
}

/** A patch IoT Hub would refuse: status 400 with error code 400004 (ArgumentInvalid). */
export class TwinError extends Error {
  constructor(public readonly status: number, message: string, public readonly errorCode = 400004) {
    super(message);
  }
}

export class TwinStore {
  private readonly twins = new Map<string, Twin>();
  private readonly path: string;

  constructor(dataDir: string) {
    this.path = join(dataDir, 'twins.json');
    const stored = readJson<Record<string, Twin>>(this.path, {});
    for (const [id, t] of Object.entries(stored)) this.twins.set(id, t);
  }

  /** `properties` as a device receives it on $iothub/twin/res/200. */
  deviceView(deviceId: string): { desired: JsonObject; reported: JsonObject } {
    const t = this.twin(deviceId);
    return {
      desired: { ...t.desired.props, $version: t.desired.version },
      reported: { ...t.reported.props, $version: t.reported.version },
    };
  }

  /** The twin as the service API shows it. */
  serviceView(deviceId: string): JsonObject {
    const t = this.twin(deviceId);
    return {
      deviceId,
      version: t.desired.version + t.reported.version,
      tags: t.tags,
      properties: {
        desired: { ...t.desired.props, $metadata: { $lastUpdated: t.desired.lastUpdated }, $version: t.desired.version },
        reported: { ...t.reported.props, $metadata: { $lastUpdated: t.reported.lastUpdated }, $version: t.reported.version },
      },
    };
  }

  /** Applies a patch to a section and returns its new version. */
  patch(deviceId: string, section: 'desired' | 'reported', patch: unknown): number {
    validatePatch(patch);
    const t = this.twin(deviceId);
    const s = t[section];
    const merged = mergePatch(s.props, patch as JsonObject);
    if (Buffer.byteLength(JSON.stringify(merged)) > LIMITS.twinSectionBytes) throw new TwinError(400, `${section} properties exceed ${LIMITS.twinSectionBytes} bytes`);
    s.props = merged;
    s.version++;
    s.lastUpdated = new Date().toISOString();
    this.save();
    return s.version;
  }

  patchTags(deviceId: string, patch: unknown): void {
    validatePatch(patch);
    const t = this.twin(deviceId);
    t.tags = mergePatch(t.tags, patch as JsonObject);
    this.save();
  }

  delete(deviceId: string): void {
    if (this.twins.delete(deviceId)) this.save();
  }

  private twin(deviceId: string): Twin {
    let t = this.twins.get(deviceId);
    if (!t) {
      const now = new Date().toISOString();
      // a new twin starts at version 1 for desired and reported, as in IoT Hub
      t = { desired: { props: {}, version: 1, lastUpdated: now }, reported: { props: {}, version: 1, lastUpdated: now }, tags: {} };
      this.twins.set(deviceId, t);
    }
    return t;
  }

  private save(): void {
    writeJson(this.path, Object.fromEntries(this.twins));
  }
}

function validatePatch(patch: unknown, depth = 1): void {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) throw new TwinError(400, 'a twin patch must be a JSON object');
  if (depth > 10) throw new TwinError(400, 'twin properties nest at most 10 levels');
  for (const [k, v] of Object.entries(patch)) {
    // '$' names are system metadata ($version, $metadata): clients cannot write them
    if (k === '' || k.startsWith('$') || /[.\s]/.test(k)) throw new TwinError(400, `invalid property name ${JSON.stringify(k)}`);
    if (v !== null && typeof v === 'object') {
      if (Array.isArray(v)) continue;
      validatePatch(v, depth + 1);
    }
  }
}

/** JSON merge patch: members set to null are removed, objects merge recursively. */
function mergePatch(target: JsonObject, patch: JsonObject): JsonObject {
  const out: JsonObject = { ...target };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (typeof v === 'object' && !Array.isArray(v)) {
      const prev = out[k];
      out[k] = mergePatch(prev !== null && typeof prev === 'object' && !Array.isArray(prev) ? prev : {}, v);
    } else out[k] = v;
  }
  return out;
}
