/** The label schemes the engine reads (main/dataset/schemes.ts implements each one). */
export const SCHEME_NAMES = ['crema-d', 'ravdess', 'emodb', 'tess', 'savee', 'folder-per-class', 'csv'] as const;
export type SchemeName = (typeof SCHEME_NAMES)[number];

/** What a request, the CLI or a study may ask for: a scheme, or 'auto' (detect it from file names). */
export type SchemeChoice = SchemeName | 'auto';
export const SCHEME_CHOICES: readonly SchemeChoice[] = ['auto', ...SCHEME_NAMES];

export function isSchemeChoice(value: unknown): value is SchemeChoice {
  return typeof value === 'string' && (SCHEME_CHOICES as readonly string[]).includes(value);
}
