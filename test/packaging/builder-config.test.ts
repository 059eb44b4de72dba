/**
 * The electron-builder packaging config (electron-builder.json), checked against the real tree:
 * electron-builder itself cannot download its tools here, so what it would package is worked out
 * from the config's patterns (same semantics: minimatch-style globs, later patterns override
 * earlier ones) and compared with the built `out/` folder, node_modules, the icons and resources.
 * The config is JSON (not YAML) so this test needs no parser dependency.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve('.');
const config = JSON.parse(readFileSync(join(ROOT, 'electron-builder.json'), 'utf8'));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

// ---------------------------------------------------------------------------------------------
// Globs as electron-builder reads them: `**` any depth, `*` and `?` within one segment, `{a,b}`.

function expandBraces(glob: string): string[] {
  const open = glob.indexOf('{');
  if (open < 0) return [glob];
  const close = glob.indexOf('}', open);
  if (close < 0) return [glob];
  const head = glob.slice(0, open);
  const tail = glob.slice(close + 1);
  return glob
    .slice(open + 1, close)
    .split(',')
    .flatMap((alternative) => expandBraces(head + alternative + tail));
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      i++;
      if (glob[i + 1] === '/') {
        i++;
        re += '(?:[^/]+/)*';
      } else {
        re += '.*';
      }
    } else if (c === '*') {
      re += '[^/]*';
    } else if (c === '?') {
      re += '[^/]';
    } else {
      re += c.replace(/[.+^$()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${re}$`);
}

function matcher(glob: string): (path: string) => boolean {
  const regexps = expandBraces(glob).map(globToRegExp);
  return (path) => regexps.some((re) => re.test(path));
}

/** electron-builder's `files`: patterns in order, a `!` pattern removes what earlier ones added. */
function includedByFiles(patterns: string[], path: string): boolean {
  let included = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    if (matcher(negated ? pattern.slice(1) : pattern)(path)) included = !negated;
  }
  return included;
}

/** Every file under `dir` (relative to ROOT, forward slashes), skipping the named folders. */
function listFiles(dir: string, skip: Set<string> = new Set()): string[] {
  const out: string[] = [];
  const walk = (abs: string): void => {
    if (!existsSync(abs)) return;
    if (statSync(abs).isFile()) {
      out.push(relative(ROOT, abs).split(sep).join('/'));
      return;
    }
    for (const entry of readdirSync(abs, { withFileTypes: true })) {
      const child = join(abs, entry.name);
      const rel = relative(ROOT, child).split(sep).join('/');
      if (skip.has(rel)) continue;
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile()) out.push(rel);
    }
  };
  walk(join(ROOT, dir));
  return out;
}

/** The literal folder a glob starts in (everything before its first wildcard segment). */
function literalPrefix(glob: string): string {
  const parts = glob.split('/');
  const literal: string[] = [];
  for (const part of parts) {
    if (/[*?{]/.test(part)) break;
    literal.push(part);
  }
  return literal.join('/');
}

// ---------------------------------------------------------------------------------------------
// PNG reading: signature, chunk CRCs, IHDR, and the image data inflating to the right length.

interface PngInfo {
  width: number;
  height: number;
  bitDepth: number;
  colourType: number;
}

function readPng(path: string): PngInfo {
  const bytes = readFileSync(path);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (!bytes.subarray(0, 8).equals(signature)) throw new Error(`${path}: not a PNG (bad signature)`);
  let at = 8;
  let ihdr: PngInfo | null = null;
  const idat: Buffer[] = [];
  let ended = false;
  while (at + 12 <= bytes.length) {
    const length = bytes.readUInt32BE(at);
    const type = bytes.toString('ascii', at + 4, at + 8);
    const data = bytes.subarray(at + 8, at + 8 + length);
    if (data.length !== length) throw new Error(`${path}: chunk ${type} cut off`);
    const crc = bytes.readUInt32BE(at + 8 + length);
    if (crc32(bytes.subarray(at + 4, at + 8 + length)) !== crc) throw new Error(`${path}: chunk ${type} has a bad CRC`);
    if (type === 'IHDR') {
      ihdr = { width: data.readUInt32BE(0), height: data.readUInt32BE(4), bitDepth: data[8]!, colourType: data[9]! };
    } else if (type === 'IDAT') {
      idat.push(data);
    } else if (type === 'IEND') {
      ended = true;
      break;
    }
    at += 12 + length;
  }
  if (!ihdr) throw new Error(`${path}: no IHDR chunk`);
  if (!ended) throw new Error(`${path}: no IEND chunk`);
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[ihdr.colourType as 0 | 2 | 3 | 4 | 6];
  if (!channels) throw new Error(`${path}: unknown colour type ${ihdr.colourType}`);
  const rowBytes = Math.ceil((ihdr.width * channels * ihdr.bitDepth) / 8);
  const raw = inflateSync(Buffer.concat(idat));
  if (raw.length !== ihdr.height * (rowBytes + 1))
    throw new Error(`${path}: image data is ${raw.length} bytes, expected ${ihdr.height * (rowBytes + 1)}`);
  return ihdr;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// ---------------------------------------------------------------------------------------------

const ICON_SIZES = [16, 32, 48, 64, 128, 256, 512, 1024];
const BUILT_MAIN = join(ROOT, pkg.main as string);
const NOT_BUILT = `${pkg.main} is missing: run \`npm run build\` first (npm test builds before running the tests)`;

describe('electron-builder.json: identity and layout', () => {
  it('names the app and puts installers in dist/ with build resources in resources/build', () => {
    expect(config.appId).toBe('org.serworkbench.app');
    expect(config.productName).toBe('SER Workbench');
    expect(config.productName).toBe(pkg.productName);
    expect(config.directories).toEqual({ output: 'dist', buildResources: 'resources/build' });
    expect(existsSync(join(ROOT, config.directories.buildResources))).toBe(true);
    expect(config.asar).toBe(true);
    // dist/ must never be committed.
    expect(readFileSync(join(ROOT, '.gitignore'), 'utf8').split('\n')).toContain('dist/');
  });

  it('declares the three OS targets', () => {
    expect(config.win.target).toEqual([{ target: 'nsis', arch: ['x64'] }]);
    expect(config.mac.target).toEqual([{ target: 'dmg', arch: ['x64', 'arm64'] }]);
    expect(config.mac.category).toBe('public.app-category.education');
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.linux.category).toBe('Science');
    // deb needs a maintainer, taken from package.json's author when not given here.
    expect(config.linux.maintainer ?? pkg.author?.email).toMatch(/<?[^@\s]+@[^@\s]+>?/);
  });

  it('associates .wav files with the app as a viewer', () => {
    expect(config.fileAssociations).toEqual([expect.objectContaining({ ext: 'wav', name: 'WAV audio', role: 'Viewer' })]);
  });
});

describe('electron-builder.json: what goes into the package', () => {
  let outFiles: string[] = [];
  let repoFiles: string[] = [];

  beforeAll(() => {
    outFiles = listFiles('out');
    repoFiles = listFiles('.', new Set(['node_modules', '.git', 'out', 'dist']));
  });

  it(`the build exists (package.json main: ${pkg.main})`, () => {
    expect(existsSync(BUILT_MAIN), NOT_BUILT).toBe(true);
  });

  it('files include the whole build, package.json and the main entry', () => {
    expect(existsSync(BUILT_MAIN), NOT_BUILT).toBe(true);
    const files: string[] = config.files;
    expect(includedByFiles(files, 'package.json')).toBe(true);
    expect(includedByFiles(files, pkg.main)).toBe(true);
    for (const entry of ['out/main/cli.js', 'out/main/feature-worker.js', 'out/preload/index.cjs', 'out/renderer/index.html']) {
      expect(existsSync(join(ROOT, entry)), `${entry} built`).toBe(true);
      expect(includedByFiles(files, entry), entry).toBe(true);
    }
    const js = outFiles.filter((f) => /\.(c|m)?js$|\.html$|\.css$/.test(f));
    expect(js.length).toBeGreaterThan(4);
    for (const file of js) expect(includedByFiles(files, file), file).toBe(true);
  });

  it('files exclude sources, tests, benchmarks, scripts and source maps', () => {
    const files: string[] = config.files;
    const leaked = repoFiles.filter((f) => includedByFiles(files, f) && f !== 'package.json');
    expect(leaked).toEqual([]);
    for (const file of outFiles) {
      if (file.endsWith('.map') || file.endsWith('.ts')) expect(includedByFiles(files, file), file).toBe(false);
    }
    // Spot checks that the patterns themselves would exclude these wherever they appeared.
    for (const path of [
      'main/index.ts',
      'test/hardening/bad-input.test.ts',
      'bench/index.ts',
      'e2e/workbench.e2e.test.ts',
      'out/main/index.js.map',
      'out/main/x.ts',
      'scripts/make-icons.mjs',
    ]) {
      expect(includedByFiles(files, path), path).toBe(false);
    }
  });

  it('extra resources: the demo dataset goes to resources/demo-emodb, where the packaged app looks for it', () => {
    const demo = config.extraResources.find((r: { from: string }) => r.from === 'resources/demo-emodb');
    expect(demo?.to).toBe('resources/demo-emodb');
    for (const resource of config.extraResources as { from: string }[]) {
      expect(statSync(join(ROOT, resource.from)).isDirectory(), resource.from).toBe(true);
      expect(readdirSync(join(ROOT, resource.from)).length, resource.from).toBeGreaterThan(0);
    }
    expect(readdirSync(join(ROOT, 'resources/demo-emodb')).filter((f) => f.endsWith('.wav')).length).toBeGreaterThan(100);
    // main/index.ts: packaged, resourcesDir = join(process.resourcesPath, 'resources'), demo = join(resourcesDir, 'demo-emodb').
    const shell = readFileSync(join(ROOT, 'main/index.ts'), 'utf8');
    expect(shell).toContain("join(process.resourcesPath, 'resources')");
    expect(shell).toContain("'demo-emodb'");
  });
});

describe('electron-builder.json: asarUnpack', () => {
  const patterns: string[] = config.asarUnpack;

  it('every pattern matches real files of the build or node_modules', () => {
    expect(existsSync(BUILT_MAIN), NOT_BUILT).toBe(true);
    for (const pattern of patterns) {
      const match = matcher(pattern);
      if (pattern.startsWith('node_modules/@tensorflow/tfjs-node')) {
        // tfjs-node and tfjs-node-gpu are optional dependencies that cannot install here (they
        // download libtensorflow). Check the pattern against the package names in package.json and
        // the packages' own layout (napi binding + deps/lib/libtensorflow); against real files
        // where they are installed.
        for (const name of ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu']) {
          expect(pkg.optionalDependencies?.[name], `${name} in optionalDependencies`).toBeDefined();
          expect(match(`node_modules/${name}/lib/napi-v8/tfjs_binding.node`), `${pattern} covers ${name}'s binding`).toBe(true);
          expect(match(`node_modules/${name}/deps/lib/libtensorflow.so.2`), `${pattern} covers ${name}'s libtensorflow`).toBe(true);
          const installed = listFiles(`node_modules/${name}`);
          if (installed.length > 0) expect(installed.some(match), `${pattern} matches installed ${name}`).toBe(true);
        }
        expect(match('node_modules/@tensorflow/tfjs-core/dist/index.js')).toBe(false);
        continue;
      }
      const candidates = listFiles(literalPrefix(pattern));
      expect(
        candidates.filter(match).length,
        `${pattern} matches nothing under ${literalPrefix(pattern)}/${pattern.startsWith('out/') ? ` (${NOT_BUILT})` : ''}`,
      ).toBeGreaterThan(0);
    }
  });

  it('unpacks every wasm binary of the wasm backend', () => {
    const wasm = listFiles('node_modules/@tensorflow/tfjs-backend-wasm/dist').filter((f) => f.endsWith('.wasm'));
    expect(wasm.length).toBeGreaterThan(0);
    for (const file of wasm)
      expect(
        patterns.some((p) => matcher(p)(file)),
        file,
      ).toBe(true);
  });

  it('unpacks the Dawn binary (webgpu backend) each installer target loads, with its DLLs', () => {
    expect(pkg.dependencies?.webgpu, 'webgpu is a dependency, so it is packaged').toBeDefined();
    // The folder the webgpu package loads dawn.node from: dist/<platform>-<arch>, macOS universal.
    const targets: { platform: string; arch: string }[] = [
      ...config.win.target.flatMap((t: { arch: string[] }) => t.arch.map((arch) => ({ platform: 'win32', arch }))),
      ...config.mac.target.flatMap((t: { arch: string[] }) => t.arch.map(() => ({ platform: 'darwin', arch: 'universal' }))),
      ...(config.linux.target as string[]).map(() => ({ platform: 'linux', arch: 'x64' })),
    ];
    expect(new Set(targets.map((t) => t.platform))).toEqual(new Set(['win32', 'darwin', 'linux']));
    for (const { platform, arch } of targets) {
      const files = listFiles(`node_modules/webgpu/dist/${platform}-${arch}`);
      expect(files, `node_modules/webgpu/dist/${platform}-${arch}/dawn.node`).toContain(
        `node_modules/webgpu/dist/${platform}-${arch}/dawn.node`,
      );
      if (platform === 'win32')
        expect(
          files.some((f) => f.endsWith('/dxcompiler.dll')),
          'dxcompiler.dll',
        ).toBe(true);
      for (const file of files)
        expect(
          patterns.some((p) => matcher(p)(file)),
          file,
        ).toBe(true);
    }
  });

  it('unpacks every worker script the engine starts, and the chunks they import, all built', () => {
    expect(existsSync(BUILT_MAIN), NOT_BUILT).toBe(true);
    // Worker entries are found by the bundle name given to resolveWorkerScript in the engine sources.
    const sources = listFiles('main').filter((f) => f.endsWith('.ts'));
    const bundles = new Set<string>();
    for (const file of sources) {
      for (const m of readFileSync(join(ROOT, file), 'utf8').matchAll(/resolveWorkerScript\([^)]*'([\w-]+\.js)'\)/g)) bundles.add(m[1]!);
    }
    expect([...bundles]).toContain('feature-worker.js');
    for (const bundle of bundles) {
      const path = `out/main/${bundle}`;
      expect(
        existsSync(join(ROOT, path)),
        `${path} is not built: add it to electron.vite.config.ts's main inputs, then \`npm run build\``,
      ).toBe(true);
      expect(
        patterns.some((p) => matcher(p)(path)),
        `${path} in asarUnpack`,
      ).toBe(true);
    }
    const chunks = builtFiles().filter((f) => f.startsWith('out/main/chunks/'));
    for (const chunk of chunks)
      expect(
        patterns.some((p) => matcher(p)(chunk)),
        `${chunk} in asarUnpack`,
      ).toBe(true);
  });
});

function builtFiles(): string[] {
  return listFiles('out');
}

describe('icons', () => {
  let regenerated = '';
  afterAll(() => {
    if (regenerated) rmSync(regenerated, { recursive: true, force: true });
  });

  it('resources/build/icons holds a valid square RGBA PNG at every size, and icon.png is 1024', () => {
    const dir = join(ROOT, config.linux.icon);
    for (const size of ICON_SIZES) {
      const info = readPng(join(dir, `${size}x${size}.png`));
      expect(info, `${size}x${size}.png`).toEqual({ width: size, height: size, bitDepth: 8, colourType: 6 });
    }
    for (const icon of [config.mac.icon, config.win.icon]) {
      expect(readPng(join(ROOT, icon))).toMatchObject({ width: 1024, height: 1024 });
    }
    expect(config.mac.icon).toBe('resources/build/icon.png');
  });

  it('the committed icons are exactly what scripts/make-icons.mjs draws', async () => {
    // @ts-expect-error: a plain .mjs script without type declarations
    const { writeIcons } = (await import('../../scripts/make-icons.mjs')) as { writeIcons: (dir: string) => string[] };
    regenerated = mkdtempSync(join(tmpdir(), 'ser-icons-'));
    writeIcons(regenerated);
    for (const size of ICON_SIZES) {
      const name = `icons/${size}x${size}.png`;
      expect(
        readFileSync(join(regenerated, name)).equals(readFileSync(join(ROOT, 'resources/build', name))),
        `${name} is stale: run node scripts/make-icons.mjs`,
      ).toBe(true);
    }
    expect(readFileSync(join(regenerated, 'icon.png')).equals(readFileSync(join(ROOT, 'resources/build/icon.png')))).toBe(true);
  });
});

describe('release workflow', () => {
  const workflow = readFileSync(join(ROOT, '.github/workflows/release.yml'), 'utf8');

  it('runs on version tags, on the three OSes, builds then packages without publishing', () => {
    expect(workflow).toMatch(/on:\s*\n\s+push:\s*\n\s+tags: \['v\*'\]/);
    for (const os of ['ubuntu-latest', 'windows-latest', 'macos-latest']) expect(workflow).toContain(`os: ${os}`);
    expect(workflow).toMatch(/node-version: 22/);
    const steps = ['npm ci', 'npm run build', 'npx electron-builder'].map((s) => workflow.indexOf(s));
    expect(steps.every((i) => i > 0)).toBe(true);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    expect(workflow).toContain('--publish never');
    expect(workflow).toContain('actions/upload-artifact@v4');
    for (const flags of ['--linux AppImage deb', '--win nsis --x64', '--mac dmg --x64 --arm64']) expect(workflow).toContain(flags);
  });
});
