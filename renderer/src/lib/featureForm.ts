/**
 * The Features panel's form, generated from the engine's feature field table
 * (main/schema/featureFields.ts) as the Train form is from the training table: one text per field
 * (the chosen items for a list), defaults from the table, field-level messages, and conversion to
 * the overrides that 'features.status', 'features.extract' and 'training.start' take. Limits
 * between fields (fmax ≤ half the sample rate, …) are the engine's to check.
 */
import type { FeatureOverrides } from '../../../main/api/contract';
import { featureFieldApplies as appliesTo, FEATURE_FIELDS, FEATURE_GROUPS, type FeatureConfig } from '../../../main/schema/featureFields';
import { defaultsFromTable, orList, type FieldSpec } from '../../../main/schema/fields';
import { checkFieldText } from './trainForm';

export type FeatureField = keyof FeatureConfig;
/** Field → its text, or the chosen items of a list field. */
export type FeatureFormValues = Record<FeatureField, string | string[]>;
export type FeatureFormErrors = Partial<Record<FeatureField, string>>;

const FIELDS = Object.keys(FEATURE_FIELDS) as FeatureField[];
const spec = (field: FeatureField): FieldSpec => (FEATURE_FIELDS as Record<FeatureField, FieldSpec>)[field];

/** The form's parts, each with its fields in table order. */
export const FEATURE_FORM_GROUPS = FEATURE_GROUPS.map((group) => ({
  ...group,
  fields: FIELDS.filter((field) => spec(field).group === group.id).map((field) => ({ field, spec: spec(field) })),
}));

/** The form filled with the table's defaults. */
export function featureFormDefaults(): FeatureFormValues {
  const defaults = defaultsFromTable(FEATURE_FIELDS, 'default') as unknown as FeatureConfig;
  return Object.fromEntries(
    FIELDS.map((field) => [field, Array.isArray(defaults[field]) ? [...defaults[field]] : String(defaults[field])]),
  ) as FeatureFormValues;
}

/** False while another field's value makes this one irrelevant (nMfcc for log-mel, the band for Meyda, framing for functionals). */
export function featureFieldApplies(values: FeatureFormValues, field: FeatureField): boolean {
  return appliesTo(values, field);
}

/** Every invalid field with its message (an empty object when the form is valid). */
export function validateFeatureForm(values: FeatureFormValues): FeatureFormErrors {
  const errors: FeatureFormErrors = {};
  for (const field of FIELDS) {
    const fieldSpec = spec(field);
    const value = values[field];
    let message: string | null;
    if (fieldSpec.kind === 'list') {
      const items = Array.isArray(value) ? value : [];
      const unknown = items.find((item) => !fieldSpec.choices?.some((choice) => choice.value === item));
      message =
        unknown === undefined
          ? null
          : `${fieldSpec.label} must be among ${orList(fieldSpec.choices!.map((c) => c.title))} (got '${unknown}')`;
    } else {
      message = checkFieldText(fieldSpec, String(value));
    }
    if (message) errors[field] = message;
  }
  return errors;
}

/** The overrides a valid form spells: the fields that differ from the defaults. */
export function toFeatureOverrides(values: FeatureFormValues): FeatureOverrides {
  const defaults = featureFormDefaults();
  const overrides: Record<string, unknown> = {};
  for (const field of FIELDS) {
    const value = values[field];
    if (JSON.stringify(value) === JSON.stringify(defaults[field])) continue;
    const kind = spec(field).kind;
    overrides[field] = kind === 'number' || kind === 'integer' ? Number(String(value).trim()) : value;
  }
  return overrides as FeatureOverrides;
}
