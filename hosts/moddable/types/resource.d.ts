// Moddable "Resource" (modules/files/resource): read-only data linked into the image.
declare module 'Resource' {
  interface ResourceData {
    readonly byteLength: number;
    slice(begin: number, end?: number): ArrayBuffer;
  }
  const Resource: {
    new (path: string): ResourceData;
    exists(path: string): boolean;
  };
  export { Resource as default };
}
