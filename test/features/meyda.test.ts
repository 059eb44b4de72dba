import Meyda from 'meyda';
import { describe, expect, it } from 'vitest';
import { loadAudio } from '../../main/audio';
import { MEYDA_DESCRIPTORS, type MeydaDescriptor } from '../../main/features/config';
import { meydaFeatures, meydaRowCount } from '../../main/features/meyda';
import { AUDIO_DIR } from './golden';

const SR = 22050;
const FRAMING = { sampleRate: SR, nFft: 2048, hopLength: 512, nMels: 128 };
const ALL = [...MEYDA_DESCRIPTORS];

function tone(frequency: number, amplitude: number, sampleRate = SR, seconds = 1): Float32Array {
  return Float32Array.from({ length: sampleRate * seconds }, (_, i) => amplitude * Math.sin((2 * Math.PI * frequency * i) / sampleRate));
}

/** All rows' values at frame t. */
function column(matrix: { data: Float32Array; rows: number; frames: number }, t: number): number[] {
  return Array.from({ length: matrix.rows }, (_, r) => matrix.data[r * matrix.frames + t]);
}

/** First row of each descriptor after the MFCC rows, when all descriptors are requested. */
const OFFSET: Record<MeydaDescriptor, number> = {
  chroma: 0,
  spectralCentroid: 12,
  spectralFlatness: 13,
  spectralRolloff: 14,
  rms: 15,
  zcr: 16,
  loudness: 17,
};
const rowOf = (nMfcc: number, descriptor: MeydaDescriptor): number => nMfcc + OFFSET[descriptor];

describe('meydaFeatures', () => {
  it('matches Meyda.extract frame by frame on speech', async () => {
    const audio = await loadAudio(`${AUDIO_DIR}/03a01Wa.wav`, { targetSampleRate: SR });
    const ours = meydaFeatures(audio.samples, { ...FRAMING, nMfcc: 40, descriptors: ALL });
    expect(ours.rows).toBe(40 + 12 + 6);
    expect(ours.frames).toBe(87);

    // Reference: Meyda itself on the same zero-padded, centred frames.
    Meyda.bufferSize = 2048;
    Meyda.sampleRate = SR;
    Meyda.melBands = 128;
    Meyda.numberOfMFCCCoefficients = 40;
    Meyda.windowingFunction = 'hanning';
    const cached = Meyda as unknown as Record<string, unknown>;
    for (const key of ['melFilterBank', 'chromaFilterBank', 'barkScale']) delete cached[key];
    const padded = new Float32Array(audio.samples.length + 2048);
    padded.set(audio.samples, 1024);

    for (const t of [0, 1, 2, 30, 60, 85, 86]) {
      const reference = Meyda.extract(['mfcc', ...ALL], padded.subarray(t * 512, t * 512 + 2048));
      if (!reference) throw new Error('Meyda returned nothing');
      const got = column(ours, t);
      reference.mfcc!.forEach((value, k) => expect(Math.abs(got[k] - value)).toBeLessThan(1e-3));
      const expected = [
        ...reference.chroma!,
        (reference.spectralCentroid! * SR) / 2048,
        reference.spectralFlatness!,
        reference.spectralRolloff!,
        reference.rms!,
        reference.zcr!,
        reference.loudness!.total,
      ];
      expected.forEach((value, i) => {
        const actual = got[40 + i];
        if (!Number.isFinite(value)) expect(actual).toBe(0);
        else expect(Math.abs(actual - value)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(value)));
      });
    }
  });

  it('gives sensible descriptors for a 1 kHz tone', () => {
    const m = meydaFeatures(tone(1000, 0.5), { ...FRAMING, nMfcc: 13, descriptors: ALL });
    const frame = column(m, 20);
    const value = (d: MeydaDescriptor): number => frame[rowOf(13, d)];
    expect(value('spectralCentroid')).toBeGreaterThan(950);
    expect(value('spectralCentroid')).toBeLessThan(1050);
    expect(value('spectralRolloff')).toBeGreaterThan(900);
    expect(value('spectralRolloff')).toBeLessThan(1100);
    expect(value('spectralFlatness')).toBeLessThan(0.01);
    // Two zero crossings per period over 2048 samples.
    expect(Math.abs(value('zcr') - (2 * 1000 * 2048) / SR)).toBeLessThanOrEqual(2);
    // Meyda measures the Hann-windowed frame: RMS of the sine (A/√2) times the window's RMS (√(3/8)).
    expect(value('rms')).toBeCloseTo((0.5 / Math.SQRT2) * Math.sqrt(3 / 8), 3);
    expect(value('loudness')).toBeGreaterThan(0);
  });

  it.each([SR, 16000])('puts the chroma peak of an A4 tone on A (%i Hz)', (sampleRate) => {
    const m = meydaFeatures(tone(440, 0.3, sampleRate), { ...FRAMING, sampleRate, nMfcc: 0, descriptors: ['chroma', 'spectralCentroid'] });
    const frame = column(m, 10);
    const chroma = frame.slice(0, 12);
    expect(chroma.indexOf(Math.max(...chroma))).toBe(9);
    expect(chroma[9]).toBe(1);
    expect(Math.abs(frame[12] - 440)).toBeLessThan(20);
  });

  it('tells noise from a tone by flatness', () => {
    let seed = 1;
    const noise = Float32Array.from({ length: SR }, () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647 - 0.5;
    });
    const flatness = (samples: Float32Array): number =>
      column(meydaFeatures(samples, { ...FRAMING, nMfcc: 0, descriptors: ['spectralFlatness'] }), 20)[0];
    expect(flatness(noise)).toBeGreaterThan(0.5);
    expect(flatness(tone(300, 0.5))).toBeLessThan(0.01);
  });

  it('stores finite values (zeros) on silence', () => {
    const m = meydaFeatures(new Float32Array(SR), { ...FRAMING, nMfcc: 40, descriptors: ALL });
    expect(m.data.every(Number.isFinite)).toBe(true);
    const frame = column(m, 5);
    for (const descriptor of ['spectralCentroid', 'spectralFlatness', 'rms', 'zcr', 'loudness'] as MeydaDescriptor[]) {
      expect(frame[rowOf(40, descriptor)]).toBe(0);
    }
  });

  it('counts rows and validates options', () => {
    expect(meydaRowCount({ nMfcc: 40, descriptors: ALL })).toBe(58);
    expect(meydaRowCount({ nMfcc: 0, descriptors: ['rms', 'chroma'] })).toBe(13);
    const m = meydaFeatures(new Float32Array(5000), { ...FRAMING, nMfcc: 0, descriptors: ['zcr', 'rms'] });
    expect([m.rows, m.frames]).toEqual([2, 1 + Math.floor(5000 / 512)]);
    expect(() => meydaFeatures(new Float32Array(100), { ...FRAMING, nMfcc: 41, descriptors: [] })).toThrow(/nMfcc/);
    expect(() => meydaFeatures(new Float32Array(100), { ...FRAMING, nFft: 1000, nMfcc: 13, descriptors: [] })).toThrow(/power of two/);
  });
});
