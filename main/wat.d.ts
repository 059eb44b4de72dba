// WebAssembly text assembled into the bundle at build time (scripts/wat.mjs).
declare module '*.wat?bytes' {
  const bytes: Uint8Array<ArrayBuffer>;
  export default bytes;
}

declare module '*.wat?bytes&unshared' {
  const bytes: Uint8Array<ArrayBuffer>;
  export default bytes;
}
