// Moddable "mc/config": the manifest's "config" object merged with `name=value` arguments of
// mcconfig (command-line values arrive as strings).
declare module 'mc/config' {
  const config: Record<string, unknown>;
  export { config as default };
}
