// Moddable "ssl/cert" (modules/crypt/ssl/ssl_cert.js): the certificate manager of ssl/session.
declare module 'ssl/cert' {
  export default class CertificateManager {
    /**
     * Trusts `cert` (DER: ArrayBuffer, typed array or Resource) for every TLS session of the
     * process, next to the session's own `certificate`. Deduplicated by content; never removed.
     */
    static register(cert: ArrayBuffer | ArrayBufferView | { readonly byteLength: number }): void;
  }
}
