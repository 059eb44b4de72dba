/**
 * The training field table and what is derived from it: strict validation of untrusted overrides
 * (every kind of field, nested objects, unknown keys, null, non-finite numbers, bounded messages),
 * CLI-style parsing, and — changing one default in a copy of the table — the CLI usage, the Train
 * form's defaults and the engine's resolved config all following it.
 */
import { describe, expect, it } from 'vitest';
import { trainUsageFor } from '../../main/cli/commands/train';
import { describeValue, FieldError } from '../../main/schema/fields';
import {
  parseFieldValue,
  presetsFromTable,
  TRAINING_FIELDS,
  trainingResolver,
  type TrainingFieldTable,
} from '../../main/schema/trainingFields';
import { PROTOTYPE_AUGMENT } from '../../main/training/augment';
import { PRESETS, resolveTrainingConfig } from '../../main/training/config';
import { formDefaults, toOverrides } from '../../renderer/src/lib/trainForm';

const refuse = (overrides: unknown) => () => resolveTrainingConfig(overrides);

describe('resolveTrainingConfig refuses what is not exactly a field value', () => {
  it.each<[string, unknown, string]>([
    ['a string for a number', { learningRate: '0.001' }, 'learningRate must be a number in (0, 10], got the string "0.001"'],
    ['true for a number', { learningRate: true }, 'learningRate must be a number in (0, 10], got true'],
    ['null for a number', { weightDecay: null }, 'weightDecay must be a number in [0, 1), got null'],
    ['NaN', { learningRate: Number.NaN }, 'learningRate must be a number in (0, 10], got NaN'],
    ['Infinity', { clipNorm: Number.POSITIVE_INFINITY }, 'clipNorm must be a number in [0, 1000], got Infinity'],
    ['a fraction for an integer', { epochs: 2.5 }, 'epochs must be an integer in 1..1000, got 2.5'],
    ['a string for an integer', { seed: '7' }, 'seed must be an integer in [0, 4294967296), got the string "7"'],
    ['a number out of range', { lrFactor: 1 }, 'lrFactor must be a number in (0, 1), got 1'],
    ['a string for a boolean', { balancedSampler: 'false' }, 'balancedSampler must be true or false, got the string "false"'],
    ['a number for a boolean', { balancedSampler: 0 }, 'balancedSampler must be true or false, got 0'],
    [
      'an unknown choice',
      { model: 'transformer' },
      'model must be seed-cnn, crnn, res-cnn, svm-linear, svm-rbf, logreg, knn or mlp, got the string "transformer"',
    ],
    ['a number for a choice', { optimizer: 1 }, 'optimizer must be adamw, adam or sgd, got 1'],
    ['a string for a nested list', { split: { testSpeakers: '03' } }, 'split.testSpeakers must be a list of strings, got the string "03"'],
    [
      'a number inside a list',
      { split: { valSpeakers: ['09', 9] } },
      'split.valSpeakers[1] must be a non-empty string of at most 64 characters, got 9',
    ],
    [
      'a string for a nested number',
      { augment: { mixupAlpha: '0.2' } },
      'augment.mixupAlpha must be a number in [0, 10], got the string "0.2"',
    ],
    ['a nested value out of range', { augment: { noise: 1.5 } }, 'augment.noise must be a number in [0, 1], got 1.5'],
    ['a nested choice', { split: { kind: 'kfold' } }, 'split.kind must be speaker or random, got the string "kfold"'],
    ['null for a nested object', { split: null }, 'split must be an object, got null'],
    ['an array for a nested object', { augment: [0.1] }, 'augment must be an object, got an array of 1 item'],
    ['null for the config', null, 'the training config must be an object, got null'],
    ['an array for the config', [], 'the training config must be an object, got an array of 0 items'],
  ])('%s', (_what, overrides, message) => {
    expect(refuse(overrides)).toThrow(`invalid training config: ${message}`);
  });

  it('refuses unknown keys, top level and nested, naming the key', () => {
    expect(refuse({ learningrate: 0.01 })).toThrow(/unknown field "learningrate" \(known: model, preset, epochs/);
    expect(refuse({ split: { testSpeaker: ['03'] } })).toThrow(/unknown field "split.testSpeaker" \(known in split: kind, testSpeakers/);
    expect(refuse({ augment: { blur: 0.1 } })).toThrow(/unknown field "augment.blur"/);
  });

  it('keeps messages short for huge values and keys', () => {
    const huge = 'x'.repeat(5_000_000);
    for (const overrides of [
      { model: huge },
      { [huge]: 1 },
      { split: { testSpeakers: [huge] } },
      { split: { testSpeakers: Array(5000).fill('03') } },
    ]) {
      let message = '';
      try {
        resolveTrainingConfig(overrides);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(/invalid training config/);
      expect(message.length).toBeLessThan(800);
    }
    expect(describeValue(huge)).toBe(`a string of 5000000 characters starting "${'x'.repeat(40)}"`);
  });

  it('names the field path on the error object', () => {
    try {
      resolveTrainingConfig({ augment: { timeMask: -1 } });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(FieldError);
      expect((err as FieldError).path).toBe('augment.timeMask');
    }
  });

  it('accepts exact values, merges nested objects field by field and treats undefined as not given', () => {
    const config = resolveTrainingConfig({
      preset: 'quick',
      learningRate: 0.01,
      balancedSampler: true,
      augment: { noise: 0 },
      split: { testSpeakers: ['03'], valRatio: undefined },
    });
    expect(config.learningRate).toBe(0.01);
    expect(config.balancedSampler).toBe(true);
    expect(config.augment).toEqual({ ...PRESETS.quick.augment, noise: 0 });
    expect(config.split).toEqual({ kind: 'speaker', testSpeakers: ['03'] });
    expect(resolveTrainingConfig(undefined)).toEqual(PRESETS.full);
    // The table's augmentation defaults are the Python prototype's.
    expect(PRESETS.full.augment).toEqual(PROTOTYPE_AUGMENT);
    // Chosen by EmoDB leave-one-speaker-out: each speaker's own statistics. The prototype's
    // recipe stays one set of flags away.
    expect(PRESETS.full.normalization).toBe('speaker');
    expect(PRESETS.quick.normalization).toBe('speaker');
    expect(resolveTrainingConfig({ model: 'seed-cnn', learningRate: 0.005, normalization: 'global' })).toMatchObject({
      model: 'seed-cnn',
      learningRate: 0.005,
      normalization: 'global',
    });
    // The presets are not shared objects: a resolved config can be changed freely.
    config.augment.noise = 0.9;
    expect(PRESETS.quick.augment.noise).toBe(0.3);
  });
});

describe('parseFieldValue (CLI-style text for one field)', () => {
  it('parses each kind exactly and checks it', () => {
    expect(parseFieldValue('learningRate', '1e-3')).toBe(0.001);
    expect(parseFieldValue('epochs', ' 12 ')).toBe(12);
    expect(parseFieldValue('balancedSampler', 'true')).toBe(true);
    expect(parseFieldValue('lrSchedule', 'cosine')).toBe('cosine');
    expect(parseFieldValue('split.testSpeakers', '03, 08')).toEqual(['03', '08']);
    expect(parseFieldValue('augment.mixupAlpha', '0.2')).toBe(0.2);
  });

  it('refuses text that is not the field’s type, out of range, or an unknown field', () => {
    expect(() => parseFieldValue('learningRate', '0x10')).toThrow('learningRate must be a number, got the string "0x10"');
    expect(() => parseFieldValue('learningRate', '')).toThrow(/learningRate must be a number/);
    expect(() => parseFieldValue('epochs', '2.5')).toThrow('epochs must be an integer in 1..1000, got 2.5');
    expect(() => parseFieldValue('balancedSampler', 'yes')).toThrow('balancedSampler must be true or false, got the string "yes"');
    expect(() => parseFieldValue('model', 'cnn')).toThrow(/model must be seed-cnn, crnn, res-cnn, svm-linear, svm-rbf, logreg, knn or mlp/);
    expect(() => parseFieldValue('learningRat', '1')).toThrow(/unknown field "learningRat"/);
  });
});

describe('one table drives the CLI, the Train form and the engine', () => {
  /** A copy of the table with other defaults, as a change to the table would give. */
  const edited = {
    ...TRAINING_FIELDS,
    learningRate: { ...TRAINING_FIELDS.learningRate, default: 0.0042 },
    epochs: { ...TRAINING_FIELDS.epochs, default: { quick: 7, full: 50 } },
  } as TrainingFieldTable;

  it('the usage text prints the table’s defaults', () => {
    expect(trainUsageFor(TRAINING_FIELDS)).toMatch(/--lr X +peak learning rate, a number in \(0, 10\] \(default 0\.001\)/);
    const usage = trainUsageFor(edited);
    expect(usage).toMatch(/--lr X .*\(default 0\.0042\)/);
    expect(usage).toMatch(/--epochs N .*\(default 7 quick, 50 full\)/);
  });

  it('the form’s defaults are the table’s', () => {
    expect(formDefaults('quick').learningRate).toBe('0.001');
    expect(formDefaults('quick', edited).learningRate).toBe('0.0042');
    expect(formDefaults('quick', edited).epochs).toBe('7');
  });

  it('the engine resolves to the table’s defaults', () => {
    const resolve = trainingResolver(edited);
    expect(resolve({ preset: 'quick' })).toMatchObject({ learningRate: 0.0042, epochs: 7 });
    expect(resolve({}).learningRate).toBe(0.0042);
    expect(presetsFromTable(edited).full.epochs).toBe(50);
    // The form's overrides for those defaults resolve to the same config.
    expect(resolve(toOverrides(formDefaults('quick', edited)))).toEqual(resolve({ preset: 'quick' }));
  });
});
