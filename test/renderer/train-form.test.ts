import { describe, expect, it } from 'vitest';
import { normalizationProblem } from '../../main/schema/names';
import { PRESETS, resolveTrainingConfig } from '../../main/training/config';
import {
  applyPreset,
  fieldApplies,
  FORM_PRESET,
  formPresetNote,
  presetLabel,
  FORM_GROUPS,
  formFromConfig,
  isValid,
  parameterCount,
  parseSpeakers,
  PRESET_FIELDS,
  runName,
  toOverrides,
  unavailableChoices,
  validateTrainForm,
  type TrainFormField,
  type TrainFormValues,
} from '../../renderer/src/lib/trainForm';

const SPEAKERS = ['03', '08', '09', '10', '11'];

function form(changes: Partial<TrainFormValues> = {}): TrainFormValues {
  return { ...formFromConfig(PRESETS.quick), ...changes };
}

describe('train form defaults', () => {
  it('fills every field from a preset', () => {
    const values = formFromConfig(PRESETS.full);
    expect(values.preset).toBe('full');
    expect(values.epochs).toBe('50');
    expect(values.earlyStoppingPatience).toBe('0');
    expect(values.lrSchedule).toBe('cosine');
    expect(values.warmupEpochs).toBe('2');
    expect(values.weightDecay).toBe('0.01');
    expect(values.labelSmoothing).toBe('0.1');
    expect(values.weightAveraging).toBe('last');
    expect(values.averageEpochs).toBe('20');
    expect(values.averageBatchNorm).toBe('average');
    expect(values.learningRate).toBe('0.001');
    expect(values.model).toBe('crnn');
    expect(values['augment.noise']).toBe('0.3');
    expect(values['split.kind']).toBe('speaker');
    expect(values['split.testSpeakers']).toBe('');
    expect(validateTrainForm(values, SPEAKERS)).toEqual({});
  });

  it('switching preset resets epochs and patiences but keeps other edits', () => {
    const edited = form({ epochs: '7', learningRate: '0.01', lrPatience: '9', name: 'mine', seed: '5', 'augment.noise': '0.1' });
    const switched = applyPreset(edited, PRESETS.full);
    expect(switched.preset).toBe('full');
    expect(switched.epochs).toBe('50');
    expect(switched.earlyStoppingPatience).toBe('0');
    expect(switched.lrPatience).toBe('3');
    expect(switched.learningRate).toBe('0.01');
    expect(switched.name).toBe('mine');
    expect(switched.seed).toBe('5');
    expect(switched['augment.noise']).toBe('0.1');
  });

  it('switching from full to quick resets the whole recipe to quick (weight decay included)', () => {
    const full = formFromConfig(PRESETS.full, 'run');
    const quick = applyPreset({ ...full, weightDecay: '0.05', averageEpochs: '3' }, PRESETS.quick);
    expect(quick).toEqual({ ...formFromConfig(PRESETS.quick, 'run') });
    expect(quick.weightDecay).toBe('0.0001');
    expect(quick.lrSchedule).toBe('plateau');
    expect(quick.warmupEpochs).toBe('0');
    expect(quick.earlyStoppingPatience).toBe('3');
    expect(quick.labelSmoothing).toBe('0');
    expect(quick.weightAveraging).toBe('none');
    expect(quick.averageEpochs).toBe('5');
    expect(quick.averageBatchNorm).toBe('recompute');
  });

  it('resets every field in which the two presets differ', () => {
    const quick = formFromConfig(PRESETS.quick);
    const full = formFromConfig(PRESETS.full);
    const differing = (Object.keys(quick) as TrainFormField[]).filter((field) => quick[field] !== full[field] && field !== 'preset');
    expect(differing.length).toBeGreaterThan(0);
    for (const field of differing) expect(PRESET_FIELDS).toContain(field);
    expect(applyPreset(quick, PRESETS.full)).toEqual(full);
    expect(applyPreset(full, PRESETS.quick)).toEqual(quick);
  });

  it('offers every engine choice for schedule, averaging and batch-norm mode', () => {
    const choices = (path: string) => {
      const spec = FORM_GROUPS.flatMap((group) => group.fields).find((field) => field.path === path)!.spec;
      return spec.kind === 'enum' ? spec.choices.map((c) => c.value) : [];
    };
    expect(choices('lrSchedule').sort()).toEqual(['cosine', 'plateau']);
    expect(choices('weightAveraging')).toEqual(['none', 'last', 'top']);
    expect(choices('averageBatchNorm')).toEqual(['recompute', 'average']);
  });

  it('shows every field of the config in exactly one group', () => {
    const paths = FORM_GROUPS.flatMap((group) => group.fields.map((field) => field.path));
    expect(new Set(paths).size).toBe(paths.length);
    expect(paths).toContain('clipNorm');
    expect(paths).toContain('augment.mixupAlpha');
    expect(paths).toContain('split.valRatio');
    expect(paths.filter((path) => !path.includes('.')).sort()).toEqual(
      Object.keys(PRESETS.quick)
        .filter((key) => key !== 'augment' && key !== 'split' && key !== 'classifier')
        .sort(),
    );
  });
});

describe('train form validation', () => {
  it('rejects a learning rate of 0, a negative one, text and one above 10', () => {
    expect(validateTrainForm(form({ learningRate: '0' }), SPEAKERS).learningRate).toBe(
      'Learning rate must be greater than 0 and at most 10 (got 0)',
    );
    expect(validateTrainForm(form({ learningRate: '-0.1' }), SPEAKERS).learningRate).toMatch(/greater than 0/);
    expect(validateTrainForm(form({ learningRate: 'fast' }), SPEAKERS).learningRate).toBe("Learning rate must be a number (got 'fast')");
    expect(validateTrainForm(form({ learningRate: '11' }), SPEAKERS).learningRate).toMatch(/at most 10 \(got 11\)/);
    expect(validateTrainForm(form({ learningRate: '1e-3' }), SPEAKERS).learningRate).toBeUndefined();
  });

  it('rejects bad epochs and batch sizes with their own messages', () => {
    expect(validateTrainForm(form({ epochs: '0' }), SPEAKERS).epochs).toBe('Epochs must be at least 1 and at most 1000 (got 0)');
    expect(validateTrainForm(form({ epochs: '2.5' }), SPEAKERS).epochs).toBe('Epochs must be a whole number (got 2.5)');
    expect(validateTrainForm(form({ epochs: '' }), SPEAKERS).epochs).toBe('Epochs is required');
    expect(validateTrainForm(form({ batchSize: '5000' }), SPEAKERS).batchSize).toBe(
      'Batch size must be at least 1 and at most 4096 (got 5000)',
    );
    const errors = validateTrainForm(form({ batchSize: '0', epochs: '3' }), SPEAKERS);
    expect(Object.keys(errors)).toEqual(['batchSize']);
  });

  it('rejects probabilities outside [0, 1] and a weight decay of 1', () => {
    const errors = validateTrainForm(
      form({ 'augment.noise': '1.5', 'augment.timeMask': '-0.1', 'augment.freqMask': '1', weightDecay: '1' }),
      SPEAKERS,
    );
    expect(errors['augment.noise']).toBe('Noise probability must be at least 0 and at most 1 (got 1.5)');
    expect(errors['augment.timeMask']).toBe('Time-mask probability must be at least 0 and at most 1 (got -0.1)');
    expect(errors['augment.freqMask']).toBeUndefined();
    expect(errors.weightDecay).toBe('Weight decay must be at least 0 and less than 1 (got 1)');
    expect(isValid(errors)).toBe(false);
  });

  it('accepts an early-stopping patience of 0 (off) and says so when rejecting a negative one', () => {
    expect(validateTrainForm(form({ earlyStoppingPatience: '0' }), SPEAKERS).earlyStoppingPatience).toBeUndefined();
    expect(validateTrainForm(form({ earlyStoppingPatience: '-1' }), SPEAKERS).earlyStoppingPatience).toBe(
      'Early-stopping patience must be at least 0 (0 = off) and at most 1000 (got -1)',
    );
    expect(() => resolveTrainingConfig(toOverrides(form({ earlyStoppingPatience: '0' })))).not.toThrow();
  });

  it('rejects out-of-range warm-up, average epochs and label smoothing', () => {
    const errors = validateTrainForm(form({ warmupEpochs: '-1', averageEpochs: '0', labelSmoothing: '1' }), SPEAKERS);
    expect(errors.warmupEpochs).toBe('Warm-up epochs must be at least 0 and at most 1000 (got -1)');
    expect(errors.averageEpochs).toBe('Average epochs must be at least 1 and at most 1000 (got 0)');
    expect(errors.labelSmoothing).toBe('Label smoothing must be at least 0 and less than 1 (got 1)');
    expect(validateTrainForm(form({ warmupEpochs: '1001' }), SPEAKERS).warmupEpochs).toMatch(/at most 1000 \(got 1001\)/);
    expect(validateTrainForm(form({ warmupEpochs: '1.5' }), SPEAKERS).warmupEpochs).toBe('Warm-up epochs must be a whole number (got 1.5)');
    expect(validateTrainForm(form({ averageEpochs: '2.5' }), SPEAKERS).averageEpochs).toBe(
      'Average epochs must be a whole number (got 2.5)',
    );
    expect(validateTrainForm(form({ averageEpochs: '1001' }), SPEAKERS).averageEpochs).toMatch(/at most 1000/);
    expect(validateTrainForm(form({ labelSmoothing: '-0.1' }), SPEAKERS).labelSmoothing).toMatch(/at least 0/);
    expect(validateTrainForm(form({ labelSmoothing: '' }), SPEAKERS).labelSmoothing).toBe('Label smoothing is required');
    const ok = validateTrainForm(form({ warmupEpochs: '0', averageEpochs: '1', labelSmoothing: '0.99' }), SPEAKERS);
    expect(ok).toEqual({});
    // The engine rejects the same values.
    expect(() => resolveTrainingConfig({ ...toOverrides(form()), warmupEpochs: -1 })).toThrow(/warmupEpochs/);
    expect(() => resolveTrainingConfig({ ...toOverrides(form()), averageEpochs: 0 })).toThrow(/averageEpochs/);
    expect(() => resolveTrainingConfig({ ...toOverrides(form()), labelSmoothing: 1 })).toThrow(/labelSmoothing/);
  });

  it('checks split speakers against the dataset, overlap and a training remainder', () => {
    expect(validateTrainForm(form({ 'split.testSpeakers': '03, 99' }), SPEAKERS)['split.testSpeakers']).toBe(
      'Not a speaker of this dataset: 99',
    );
    expect(validateTrainForm(form({ 'split.testSpeakers': '03', 'split.valSpeakers': '03 08' }), SPEAKERS)['split.valSpeakers']).toBe(
      'In both test and validation: 03',
    );
    expect(validateTrainForm(form({ 'split.testSpeakers': '03,08,09', 'split.valSpeakers': '10,11' }), SPEAKERS)['split.valSpeakers']).toBe(
      'Leave at least one speaker for training',
    );
    // A random split ignores the speaker fields.
    expect(validateTrainForm(form({ 'split.kind': 'random', 'split.testSpeakers': '99' }), SPEAKERS)).toEqual({});
  });

  it('agrees with the engine: what the form accepts, resolveTrainingConfig accepts', () => {
    expect(() => resolveTrainingConfig(toOverrides(form({ learningRate: '0.005', seed: '7' })))).not.toThrow();
    expect(() => resolveTrainingConfig(toOverrides(formFromConfig(PRESETS.full)))).not.toThrow();
    // And the engine rejects what the form rejects.
    expect(() => resolveTrainingConfig({ ...toOverrides(form()), learningRate: 0 })).toThrow(/learningRate/);
  });
});

describe('train form → overrides', () => {
  it('converts every field, with the named split speakers', () => {
    const values = form({
      name: '  crnn on emodb  ',
      model: 'seed-cnn',
      epochs: '12',
      batchSize: '32',
      learningRate: '0.005',
      optimizer: 'sgd',
      weightDecay: '0',
      classWeights: 'none',
      loss: 'focal',
      balancedSampler: true,
      'augment.noise': '0.5',
      'augment.timeShift': '0',
      'augment.freqMask': '0.1',
      'augment.timeMask': '0.25',
      'augment.mixupAlpha': '0.2',
      'split.testSpeakers': '03, 08',
      'split.valSpeakers': '09',
      seed: '123',
      bestBy: 'val_accuracy',
      lrSchedule: 'cosine',
      warmupEpochs: '4',
      labelSmoothing: '0.05',
      weightAveraging: 'top',
      averageEpochs: '7',
      averageBatchNorm: 'average',
      normalization: 'speaker',
    });
    expect(validateTrainForm(values, SPEAKERS)).toEqual({});
    expect(toOverrides(values)).toEqual({
      model: 'seed-cnn',
      preset: 'quick',
      epochs: 12,
      earlyStoppingPatience: 3,
      lrSchedule: 'cosine',
      lrPatience: 2,
      warmupEpochs: 4,
      batchSize: 32,
      learningRate: 0.005,
      optimizer: 'sgd',
      weightDecay: 0,
      classWeights: 'none',
      loss: 'focal',
      labelSmoothing: 0.05,
      balancedSampler: true,
      bestBy: 'val_accuracy',
      weightAveraging: 'top',
      averageEpochs: 7,
      averageBatchNorm: 'average',
      seed: 123,
      lrFactor: 0.5,
      focalGamma: 2,
      clipNorm: 1,
      normalization: 'speaker',
      augment: { noise: 0.5, timeShift: 0, freqMask: 0.1, timeMask: 0.25, mixupAlpha: 0.2, speedPerturb: false },
      split: { kind: 'speaker', testSpeakers: ['03', '08'], valSpeakers: ['09'] },
      classifier: { innerFolds: 5, hiddenUnits: 64 },
    });
    expect(runName(values)).toBe('crnn on emodb');
  });

  it('round-trips a full config: formFromConfig → toOverrides → the same config', () => {
    for (const preset of [PRESETS.quick, PRESETS.full]) {
      const config = { ...preset, split: { kind: 'speaker' as const, testSpeakers: ['03', '08'], valSpeakers: ['09'] } };
      const overrides = toOverrides(formFromConfig(config));
      expect(overrides).toMatchObject({
        lrSchedule: config.lrSchedule,
        warmupEpochs: config.warmupEpochs,
        earlyStoppingPatience: config.earlyStoppingPatience,
        weightDecay: config.weightDecay,
        labelSmoothing: config.labelSmoothing,
        weightAveraging: config.weightAveraging,
        averageEpochs: config.averageEpochs,
        averageBatchNorm: config.averageBatchNorm,
      });
      // Everything comes back as it was.
      const resolved = resolveTrainingConfig(overrides);
      expect(resolved).toEqual({ ...config, split: { ...preset.split, ...config.split } });
    }
  });

  it('leaves speakers out when empty (by ratio) and for a random split', () => {
    expect(toOverrides(form()).split).toEqual({ kind: 'speaker' });
    expect(toOverrides(form({ 'split.kind': 'random', 'split.testSpeakers': '03' })).split).toEqual({ kind: 'random' });
    expect(runName(form({ name: '   ' }))).toBeUndefined();
  });

  it('parses speaker lists and parameter counts', () => {
    expect(parseSpeakers(' 03,08  09;03 ')).toEqual(['03', '08', '09']);
    expect(parseSpeakers('')).toEqual([]);
    expect(parameterCount(1_234_567)).toBe('1.23 M');
    expect(parameterCount(45_600)).toBe('45.6 k');
    expect(parameterCount(512)).toBe('512');
  });
});

describe("the form's starting preset", () => {
  it("is the CLI's default, or the form says why not", () => {
    const note = formPresetNote(PRESETS);
    if (FORM_PRESET === resolveTrainingConfig().preset) expect(note).toBeNull();
    else {
      expect(note).toContain(`starts from ${FORM_PRESET} (${PRESETS[FORM_PRESET].epochs} epochs`);
      expect(note).toContain(`\`ser train\` starts from ${resolveTrainingConfig().preset}`);
    }
  });
});

describe('preset label', () => {
  it('says the epochs until a field is edited, then "edited"', () => {
    expect(presetLabel(form(), PRESETS.quick)).toBe('quick (5 epochs)');
    expect(presetLabel(form({ epochs: '7' }), PRESETS.quick)).toBe('quick (edited)');
    expect(presetLabel(form({ 'augment.noise': '0.1' }), PRESETS.quick)).toBe('quick (edited)');
    // The other preset's option keeps describing that preset.
    expect(presetLabel(form({ epochs: '7' }), PRESETS.full)).toBe('full (50 epochs)');
    // The run name is not part of the recipe.
    expect(presetLabel(form({ name: 'mine' }), PRESETS.quick)).toBe('quick (5 epochs)');
  });

  it('disables fields that do not apply and leaves optional ones out of the overrides', () => {
    expect(fieldApplies(form({ lrSchedule: 'cosine' }), 'lrPatience')).toBe(false);
    expect(fieldApplies(form({ lrSchedule: 'cosine' }), 'warmupEpochs')).toBe(true);
    expect(fieldApplies(form({ loss: 'focal' }), 'focalGamma')).toBe(true);
    // A classical classifier: the network's recipe is off (also what depends on it), its own grids are on.
    const svm = form({ model: 'svm-rbf', lrSchedule: 'cosine', loss: 'focal' });
    for (const path of ['epochs', 'learningRate', 'warmupEpochs', 'focalGamma', 'augment.noise'] as const)
      expect(fieldApplies(svm, path)).toBe(false);
    for (const path of ['classifier.cGrid', 'classifier.gammaGrid', 'classifier.innerFolds', 'classWeights', 'normalization'] as const)
      expect(fieldApplies(svm, path)).toBe(true);
    expect(fieldApplies(svm, 'classifier.kGrid')).toBe(false);
    expect(fieldApplies(form({ model: 'crnn' }), 'classifier.cGrid')).toBe(false);
    expect(toOverrides(form({ model: 'knn', 'classifier.kGrid': '3, 5' })).classifier).toEqual({
      innerFolds: 5,
      kGrid: ['3', '5'],
      hiddenUnits: 64,
    });
    expect(toOverrides(form({ 'split.testRatio': '0.3' })).split).toEqual({ kind: 'speaker', testRatio: 0.3 });
    expect(validateTrainForm(form({ 'split.testRatio': '0.95' }), SPEAKERS)['split.testRatio']).toBe(
      'Test ratio must be greater than 0 and at most 0.9 (got 0.95)',
    );
  });
});

describe('choices the feature settings rule out', () => {
  it('greys per-clip normalisation for feature vectors and marks the field when it is chosen', () => {
    expect(unavailableChoices({})).toEqual({});
    expect(unavailableChoices({ representation: 'encoder', encoderPooling: 'frames' })).toEqual({});
    const vectors = unavailableChoices({ representation: 'egemaps-like' });
    expect(vectors).toEqual({ normalization: { clip: normalizationProblem('clip', 'egemaps-like') } });
    expect(unavailableChoices({ representation: 'encoder' }).normalization?.clip).toBe(normalizationProblem('clip', 'encoder', 'mean-std'));
    const values = form({ model: 'logreg', normalization: 'clip' });
    expect(validateTrainForm(values, SPEAKERS, vectors)).toEqual({ normalization: normalizationProblem('clip', 'egemaps-like') });
    expect(validateTrainForm({ ...values, normalization: 'speaker' }, SPEAKERS, vectors)).toEqual({});
    expect(validateTrainForm(values, SPEAKERS)).toEqual({});
  });
});
