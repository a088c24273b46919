// Moddable "preference" (modules/files/preference). On ESP32 it is NVS: domain and key at most
// 15 characters, string values at most ~4000 bytes.
declare module 'preference' {
  const Preference: {
    set(domain: string, key: string, value: string | boolean | number | ArrayBuffer): void;
    get(domain: string, key: string): string | boolean | number | ArrayBuffer | undefined;
    delete(domain: string, key: string): void;
    keys(domain: string): string[];
  };
  export { Preference as default };
}
