// XS globals the Moddable host uses (see $(MODDABLE)/xs/includes/xs.d.ts).
declare function trace(...log: (string | number | boolean)[]): void;
