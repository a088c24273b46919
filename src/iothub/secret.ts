/**
 * A secret (a device key) that cannot leak by accident: String(secret), `${secret}` and
 * JSON.stringify show "<redacted>". Only `bytes()` hands out the key material, to the code
 * that signs with it.
 */
export class Secret {
  readonly #bytes: Uint8Array;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes.slice();
  }

  /** A copy of the key material. */
  bytes(): Uint8Array {
    return this.#bytes.slice();
  }

  get length(): number {
    return this.#bytes.length;
  }

  toString(): string {
    return '<redacted>';
  }

  toJSON(): string {
    return '<redacted>';
  }
}
