import { describe, expect, it } from 'vitest';
import { PRESETS, resolveTrainingConfig } from '../../main/training/config';
import {
  applyPreset,
  formFromConfig,
  isValid,
  parameterCount,
  parseSpeakers,
  runName,
  toOverrides,
  validateTrainForm,
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
    expect(values.earlyStoppingPatience).toBe('8');
    expect(values.learningRate).toBe('0.001');
    expect(values.model).toBe('crnn');
    expect(values.augNoise).toBe('0.3');
    expect(values.splitKind).toBe('speaker');
    expect(values.testSpeakers).toBe('');
    expect(validateTrainForm(values, SPEAKERS)).toEqual({});
  });

  it('switching preset resets epochs and patiences but keeps other edits', () => {
    const edited = form({ epochs: '7', learningRate: '0.01', lrPatience: '9' });
    const switched = applyPreset(edited, PRESETS.full);
    expect(switched.preset).toBe('full');
    expect(switched.epochs).toBe('50');
    expect(switched.earlyStoppingPatience).toBe('8');
    expect(switched.lrPatience).toBe('3');
    expect(switched.learningRate).toBe('0.01');
  });
});

describe('train form validation', () => {
  it('rejects a learning rate of 0, a negative one, text and one above 10', () => {
    expect(validateTrainForm(form({ learningRate: '0' }), SPEAKERS).learningRate).toBe('Learning rate must be greater than 0 and at most 10 (got 0)');
    expect(validateTrainForm(form({ learningRate: '-0.1' }), SPEAKERS).learningRate).toMatch(/greater than 0/);
    expect(validateTrainForm(form({ learningRate: 'fast' }), SPEAKERS).learningRate).toBe("Learning rate must be a number (got 'fast')");
    expect(validateTrainForm(form({ learningRate: '11' }), SPEAKERS).learningRate).toMatch(/at most 10 \(got 11\)/);
    expect(validateTrainForm(form({ learningRate: '1e-3' }), SPEAKERS).learningRate).toBeUndefined();
  });

  it('rejects bad epochs and batch sizes with their own messages', () => {
    expect(validateTrainForm(form({ epochs: '0' }), SPEAKERS).epochs).toBe('Epochs must be at least 1 and at most 1000 (got 0)');
    expect(validateTrainForm(form({ epochs: '2.5' }), SPEAKERS).epochs).toBe('Epochs must be a whole number (got 2.5)');
    expect(validateTrainForm(form({ epochs: '' }), SPEAKERS).epochs).toBe('Epochs is required');
    expect(validateTrainForm(form({ batchSize: '5000' }), SPEAKERS).batchSize).toBe('Batch size must be at least 1 and at most 4096 (got 5000)');
    const errors = validateTrainForm(form({ batchSize: '0', epochs: '3' }), SPEAKERS);
    expect(Object.keys(errors)).toEqual(['batchSize']);
  });

  it('rejects probabilities outside [0, 1] and a weight decay of 1', () => {
    const errors = validateTrainForm(form({ augNoise: '1.5', augTimeMask: '-0.1', augFreqMask: '1', weightDecay: '1' }), SPEAKERS);
    expect(errors.augNoise).toBe('Noise probability must be at least 0 and at most 1 (got 1.5)');
    expect(errors.augTimeMask).toBe('Time-mask probability must be at least 0 and at most 1 (got -0.1)');
    expect(errors.augFreqMask).toBeUndefined();
    expect(errors.weightDecay).toBe('Weight decay must be at least 0 and less than 1 (got 1)');
    expect(isValid(errors)).toBe(false);
  });

  it('checks split speakers against the dataset, overlap and a training remainder', () => {
    expect(validateTrainForm(form({ testSpeakers: '03, 99' }), SPEAKERS).testSpeakers).toBe('Not a speaker of this dataset: 99');
    expect(validateTrainForm(form({ testSpeakers: '03', valSpeakers: '03 08' }), SPEAKERS).valSpeakers).toBe('In both test and validation: 03');
    expect(validateTrainForm(form({ testSpeakers: '03,08,09', valSpeakers: '10,11' }), SPEAKERS).valSpeakers).toBe('Leave at least one speaker for training');
    // A random split ignores the speaker fields.
    expect(validateTrainForm(form({ splitKind: 'random', testSpeakers: '99' }), SPEAKERS)).toEqual({});
  });

  it('agrees with the engine: what the form accepts, resolveTrainingConfig accepts', () => {
    expect(() => resolveTrainingConfig(toOverrides(form({ learningRate: '0.005', seed: '7' })))).not.toThrow();
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
      augNoise: '0.5',
      augTimeShift: '0',
      augFreqMask: '0.1',
      augTimeMask: '0.25',
      mixupAlpha: '0.2',
      testSpeakers: '03, 08',
      valSpeakers: '09',
      seed: '123',
      bestBy: 'val_accuracy',
    });
    expect(validateTrainForm(values, SPEAKERS)).toEqual({});
    expect(toOverrides(values)).toEqual({
      model: 'seed-cnn',
      preset: 'quick',
      epochs: 12,
      earlyStoppingPatience: 3,
      lrPatience: 2,
      batchSize: 32,
      learningRate: 0.005,
      optimizer: 'sgd',
      weightDecay: 0,
      classWeights: 'none',
      loss: 'focal',
      balancedSampler: true,
      bestBy: 'val_accuracy',
      seed: 123,
      augment: { noise: 0.5, timeShift: 0, freqMask: 0.1, timeMask: 0.25, mixupAlpha: 0.2 },
      split: { kind: 'speaker', testSpeakers: ['03', '08'], valSpeakers: ['09'] },
    });
    expect(runName(values)).toBe('crnn on emodb');
  });

  it('leaves speakers out when empty (by ratio) and for a random split', () => {
    expect(toOverrides(form()).split).toEqual({ kind: 'speaker' });
    expect(toOverrides(form({ splitKind: 'random', testSpeakers: '03' })).split).toEqual({ kind: 'random' });
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
