// ESLint: the recommended (not type-checked) rules for JavaScript, TypeScript and Vue, layout left to
// Prettier, and one local rule, `ser/layers`, that keeps the engine's layers pointing down and the
// renderer away from the engine (docs/ARCHITECTURE.md, "The engine's layers").
import { builtinModules } from 'node:module';
import { dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import pluginVue from 'eslint-plugin-vue';
import globals from 'globals';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

const ROOT = dirname(fileURLToPath(import.meta.url));

/** main/'s layers, lowest first. A file may import its own layer and those below, never one above. */
export const LAYERS = [
  ['util', 'schema'],
  ['audio'],
  ['dataset'],
  ['features'],
  ['runs'],
  ['compute'],
  ['models'],
  ['evaluation'],
  ['training'],
  ['pipeline'],
  ['api', 'cli', 'serve', 'index', 'shell-config'], // the doors (index = the Electron shell)
];
const LAYER_ORDER = LAYERS.map((names) => names.join(' ')).join(' < ');

/** What the renderer may import from main/: the contract (types only) and the Node-free schema. */
const RENDERER_CONTRACT = 'main/api/contract';
const RENDERER_SCHEMA = 'main/schema/';

/** 'main/runs/store.ts' or 'main/runs' → its layer's { rank, name }; undefined outside main/. */
function layerOf(repoPath) {
  const parts = repoPath.replace(/\.(ts|js|mjs|vue)$/, '').split('/');
  if (parts[0] !== 'main' || parts.length < 2) return undefined;
  const rank = LAYERS.findIndex((names) => names.includes(parts[1]));
  return rank < 0 ? undefined : { rank, name: parts[1] };
}

/** A relative import's target as a repo path without extension ('main/training/loop'); undefined for packages. */
function resolveTarget(filename, specifier) {
  if (!specifier.startsWith('.')) return undefined;
  const absolute = resolve(dirname(filename), specifier);
  return relative(ROOT, absolute)
    .split(sep)
    .join('/')
    .replace(/\.(ts|js|mjs|vue)$/, '');
}

const isTypeOnly = (node) =>
  node.importKind === 'type' ||
  node.exportKind === 'type' ||
  (node.specifiers?.length > 0 && node.specifiers.every((s) => s.importKind === 'type' || s.exportKind === 'type'));

const layersRule = {
  meta: {
    type: 'problem',
    docs: { description: "main/'s layers only import downwards; the renderer imports only the contract's types and main/schema" },
    schema: [],
  },
  create(context) {
    const file = relative(ROOT, context.filename).split(sep).join('/');
    const inRenderer = file.startsWith('renderer/');
    const from = layerOf(file);
    if (!inRenderer && !from) return {};

    function check(node, source) {
      if (!source || typeof source.value !== 'string') return;
      const target = resolveTarget(context.filename, source.value);
      if (!target) return;
      if (inRenderer) {
        if (!target.startsWith('main/')) return;
        if (target.startsWith(RENDERER_SCHEMA)) return;
        if (target === RENDERER_CONTRACT && node.type !== 'ImportExpression' && isTypeOnly(node)) return;
        const what = target === RENDERER_CONTRACT ? `values from ${RENDERER_CONTRACT} (import its types only: \`import type\`)` : target;
        context.report({
          node: source,
          message: `The renderer may not import ${what}: from main/ it imports only ${RENDERER_CONTRACT}'s types and ${RENDERER_SCHEMA}.`,
        });
        return;
      }
      const to = layerOf(target);
      // The renderer reads main/schema: it may lean on nothing else of main/ (util/ imports Node).
      if (from.name === 'schema' && target.startsWith('main/') && to?.name !== 'schema') {
        context.report({
          node: source,
          message: `main/schema may not import ${target}: it is the Node-free layer the renderer reads, so it imports only main/schema.`,
        });
        return;
      }
      if (to && to.rank > from.rank) {
        const door = to.rank === LAYERS.length - 1 ? ' (a door: the engine never imports a door)' : '';
        context.report({
          node: source,
          message: `main/${from.name} may not import main/${to.name}${door}: layers only import downwards (${LAYER_ORDER}; docs/ARCHITECTURE.md).`,
        });
      }
    }

    return {
      ImportDeclaration: (node) => check(node, node.source),
      ExportNamedDeclaration: (node) => check(node, node.source),
      ExportAllDeclaration: (node) => check(node, node.source),
      ImportExpression: (node) => check(node, node.source.type === 'Literal' ? node.source : undefined),
    };
  },
};

/** Node's built-in modules, by both names ('fs' and 'node:fs'), for the files that must stay Node-free. */
const NODE_BUILTINS = [...new Set(builtinModules.flatMap((name) => [name.replace(/^node:/, ''), `node:${name.replace(/^node:/, '')}`]))];
const nodeFree = (where) => ({
  'no-restricted-imports': [
    'error',
    {
      paths: [...NODE_BUILTINS, 'electron'].map((name) => ({ name, message: `${where} must stay Node-free (it runs in the renderer).` })),
    },
  ],
});

export default defineConfig(
  {
    ignores: ['out/', 'dist/', 'coverage/', '.cache/', 'runs/', 'bench/results/', 'e2e/screenshots/', 'resources/', 'test/fixtures/lint/'],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  pluginVue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser, sourceType: 'module' } },
  },
  {
    rules: {
      // Unused arguments and caught errors named with a leading underscore are deliberate.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
      // Optional props of typed components are undefined by design; single-word names (Heatmap) clash with no HTML element.
      'vue/require-default-prop': 'off',
      'vue/multi-word-component-names': 'off',
      // Layout is Prettier's job: the Vue rules that would fight it are off.
      'vue/html-indent': 'off',
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/multiline-html-element-content-newline': 'off',
      'vue/html-closing-bracket-newline': 'off',
      'vue/html-closing-bracket-spacing': 'off',
      'vue/html-self-closing': 'off',
      'vue/first-attribute-linebreak': 'off',
      'vue/mustache-interpolation-spacing': 'off',
      'vue/no-multi-spaces': 'off',
      'vue/no-spaces-around-equal-signs-in-attribute': 'off',
      'vue/html-quotes': 'off',
    },
  },
  {
    files: ['main/**', 'preload/**', 'test/**', 'bench/**', 'e2e/**', 'scripts/**', '*.js', '*.ts', '*.mjs'],
    languageOptions: { globals: globals.node },
  },
  {
    files: ['renderer/**'],
    languageOptions: { globals: globals.browser },
  },
  {
    files: ['main/**/*.ts', 'renderer/**/*.ts', 'renderer/**/*.vue'],
    plugins: { ser: { rules: { layers: layersRule } } },
    rules: { 'ser/layers': 'error' },
  },
  { files: ['renderer/**'], rules: nodeFree('The renderer') },
  { files: ['main/schema/**', 'main/api/contract.ts'], rules: nodeFree('main/schema/ and main/api/contract.ts') },
);
