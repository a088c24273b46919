// Moddable "file" (modules/files/file): the simulators' file system (Linux: stdio, root /tmp/).
declare module 'file' {
  export class File {
    /** Opens `path`; `write` true creates it when missing (and opens it for writing). Throws when missing otherwise. */
    constructor(path: string, write?: boolean);
    read(type: typeof String | typeof ArrayBuffer, count?: number): string | ArrayBuffer;
    write(...items: (string | ArrayBuffer | number)[]): void;
    close(): void;
    readonly length: number;
    position: number;
    static delete(path: string): boolean;
    static exists(path: string): boolean;
    /** Renames within the same folder when `name` has no '/'; false when rename(2) fails. */
    static rename(path: string, name: string): boolean;
  }
  export class Iterator {
    constructor(path: string);
    /** The next entry (files carry `length`), or undefined at the end. */
    next(): { name: string; length?: number } | undefined;
  }
  export class Directory {
    static create(path: string): void;
    static delete(path: string): void;
  }
}
