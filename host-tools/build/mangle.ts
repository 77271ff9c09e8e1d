// Property names private to the device code, shortened in the bundle by
// esbuild's mangleProps: every property name costs bytes in the bundle and,
// past 4 characters, an extra JsVar per object that holds it on the chip.
// Only names that never cross the bundle's edge may be listed: not Espruino
// APIs, not JSON keys, not the TaskManager and event API that user code calls.
// The build refuses a listed name that an Espruino type declaration uses.
export const PRIVATE_PROPS = [
  // ports (device/core/env.ts)
  "hash", "every", "change", "clear", "heap", "jsvars", "mac", "sdk", "mhz", "flash", "boots", "uniform", "later",
  // parsed datagrams and probes
  "type", "inc", "seq", "dv", "ups", "arg", "ok",
  // HTTP responses
  "code", "more",
];
