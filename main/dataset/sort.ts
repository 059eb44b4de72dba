/** Plain code-unit order: the same on every machine and locale, used for clip ids. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const natural = new Intl.Collator('en', { numeric: true, sensitivity: 'variant' });

/** Numeric-aware order for speaker ids ('2' before '10'), falling back to code-unit order on ties. */
export function compareNatural(a: string, b: string): number {
  return natural.compare(a, b) || compareIds(a, b);
}
