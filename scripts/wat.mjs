/**
 * WebAssembly text assembled at build time: `import bytes from './x.wat?bytes'` gives the
 * module's binary as a Uint8Array. The same assembly serves Vite (electron-vite's bundles and
 * vitest, through `watPlugin`) and plain Node under tsx (the `resolve` / `load` module hooks,
 * registered by wat-register.mjs). The app's bundles carry the bytes; nothing assembles WAT
 * at run time and wabt is a dev dependency only.
 *
 * `?bytes&unshared` gives the same module with its imported memory declared not shared and
 * without a maximum: a WAT file imports one memory type, and a host with both a threaded
 * (shared) and a plain memory needs a module for each.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import initWabt from 'wabt';

const QUERY = /\.wat\?bytes(&unshared)?$/;
const SHARED_MEMORY_IMPORT = /\(memory\s+(\d+)\s+\d+\s+shared\)/;

let wabt;

/**
 * The binary of a WAT file (SIMD, threads and bulk memory allowed); a syntax error throws naming
 * the file and the line. Validation is left to WebAssembly.compile where the bytes are used.
 */
export async function assembleWat(file, { unshared = false } = {}) {
  wabt ??= await initWabt();
  let text = readFileSync(file, 'utf8');
  if (unshared) {
    if (!SHARED_MEMORY_IMPORT.test(text))
      throw new Error(`${file}: ?bytes&unshared needs a shared memory import "(memory MIN MAX shared)"`);
    text = text.replace(SHARED_MEMORY_IMPORT, '(memory $1)');
  }
  const parsed = wabt.parseWat(file, text, { simd: true, threads: true, bulk_memory: true });
  try {
    return parsed.toBinary({}).buffer;
  } finally {
    parsed.destroy();
  }
}

/** The ES module for an id such as /abs/x.wat?bytes, or null for any other id. */
async function bytesModule(id, toPath) {
  const match = QUERY.exec(id);
  if (!match) return null;
  const file = toPath(id.slice(0, id.indexOf('?')));
  const bytes = await assembleWat(file, { unshared: match[1] !== undefined });
  return { file, code: `export default new Uint8Array([${bytes.join(',')}]);\n` };
}

/** Vite / Rollup plugin: resolves `*.wat?bytes` imports to their assembled bytes. */
export function watPlugin() {
  return {
    name: 'ser-wat-bytes',
    enforce: 'pre',
    async load(id) {
      const module = await bytesModule(id, (path) => path);
      if (!module) return null;
      this.addWatchFile(module.file);
      return { code: module.code, map: null };
    },
  };
}

// ---- Node module hooks (module.register), for running the engine's sources under tsx ----

export async function resolve(specifier, context, nextResolve) {
  if (QUERY.test(specifier) && context.parentURL) {
    return { url: new URL(specifier, context.parentURL).href, format: 'module', shortCircuit: true };
  }
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  if (url.startsWith('file:')) {
    const module = await bytesModule(url, fileURLToPath);
    if (module) return { format: 'module', source: module.code, shortCircuit: true };
  }
  return nextLoad(url, context);
}
