// XS globals the Moddable host uses (see $(MODDABLE)/xs/includes/xs.d.ts).
declare function trace(...log: (string | number | boolean)[]): void;
// Compile-time bindings of xsc to host (C) functions, as in the SDK's xs.d.ts.
declare function Native(name: string): new (...args: unknown[]) => object;
declare function native(name: string): (...args: unknown[]) => unknown;
