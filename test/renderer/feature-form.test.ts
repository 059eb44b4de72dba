import { describe, expect, it } from 'vitest';
import { FEATURE_FIELDS } from '../../main/schema/featureFields';
import { checkOverrides } from '../../main/schema/fields';
import {
  FEATURE_FORM_GROUPS,
  featureFieldApplies,
  featureFormDefaults,
  toFeatureOverrides,
  validateFeatureForm,
} from '../../renderer/src/lib/featureForm';

describe('Features form', () => {
  it('has every field of the feature table once, with its label and help', () => {
    const fields = FEATURE_FORM_GROUPS.flatMap((group) => group.fields.map((f) => f.field));
    expect(fields.sort()).toEqual(Object.keys(FEATURE_FIELDS).sort());
    const representation = FEATURE_FORM_GROUPS.flatMap((g) => g.fields).find((f) => f.field === 'representation')!;
    expect(representation.spec.label).toBe('Representation');
    expect(representation.spec.kind === 'enum' && representation.spec.choices.map((c) => c.value)).toEqual([
      'mfcc',
      'logmel',
      'egemaps-like',
      'compare-like',
      'encoder',
    ]);
  });

  it('sends the encoder folder as typed text, and its fields apply to the encoder alone', () => {
    const values = { ...featureFormDefaults(), representation: 'encoder', encoderDir: '/models/wav2vec2-base', encoderLayer: '6' };
    expect(validateFeatureForm(values)).toEqual({});
    expect(toFeatureOverrides(values)).toEqual({ representation: 'encoder', encoderDir: '/models/wav2vec2-base', encoderLayer: 6 });
    expect(featureFieldApplies(values, 'encoderDir')).toBe(true);
    expect(featureFieldApplies(values, 'nMfcc')).toBe(false);
    expect(featureFieldApplies(values, 'sampleRate')).toBe(false);
    expect(featureFieldApplies(featureFormDefaults(), 'encoderLayer')).toBe(false);
  });

  it('sends nothing for the defaults, and the changed fields as typed values', () => {
    const values = featureFormDefaults();
    expect(validateFeatureForm(values)).toEqual({});
    expect(toFeatureOverrides(values)).toEqual({});
    const edited = { ...values, representation: 'logmel', deltas: '2', fmin: '50', fmax: ' 8000 ', extras: ['rms'] };
    expect(validateFeatureForm(edited)).toEqual({});
    const overrides = toFeatureOverrides(edited);
    expect(overrides).toEqual({ representation: 'logmel', deltas: 2, fmin: 50, fmax: 8000, extras: ['rms'] });
    // Values of the types the engine's table checks.
    expect(checkOverrides(FEATURE_FIELDS, overrides, 'the feature config')).toEqual(overrides);
  });

  it('names each invalid field', () => {
    const errors = validateFeatureForm({ ...featureFormDefaults(), deltas: '3', fmax: 'high', nFft: '1.5', extras: ['mfcc'] });
    expect(errors.deltas).toBe('Deltas must be at least 0 and at most 2 (got 3)');
    expect(errors.fmax).toBe("Highest frequency (Hz) must be a number (got 'high')");
    expect(errors.nFft).toBe('FFT size must be a whole number (got 1.5)');
    expect(errors.extras).toMatch(/^Extra descriptors must be among .* \(got 'mfcc'\)$/);
    expect(Object.keys(errors).sort()).toEqual(['deltas', 'extras', 'fmax', 'nFft']);
  });

  it('disables the MFCC count for log-mel and the band for Meyda', () => {
    const values = featureFormDefaults();
    expect(featureFieldApplies(values, 'nMfcc')).toBe(true);
    expect(featureFieldApplies({ ...values, representation: 'logmel' }, 'nMfcc')).toBe(false);
    expect(featureFieldApplies({ ...values, preset: 'meyda' }, 'fmax')).toBe(false);
    expect(featureFieldApplies(values, 'fmin')).toBe(true);
  });

  it('disables the framing and filterbank fields for functionals, keeping the sample rate and length', () => {
    const values = { ...featureFormDefaults(), representation: 'egemaps-like' };
    for (const field of ['preset', 'deltas', 'nMfcc', 'fmin', 'fmax', 'nFft', 'hopLength', 'nMels', 'extras'] as const) {
      expect(featureFieldApplies(values, field), field).toBe(false);
    }
    expect(featureFieldApplies(values, 'sampleRate')).toBe(true);
    expect(featureFieldApplies(values, 'frames')).toBe(true);
  });
});
