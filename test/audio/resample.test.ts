import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeAudio, resample, StreamResampler } from '../../main/audio/index';

const CREMA_CLIPS = ['1001_DFA_ANG_XX', '1001_DFA_SAD_XX', '1002_DFA_HAP_XX', '1002_DFA_NEU_XX'];

interface CremaGolden {
  input: { num_samples: number };
  arrays: {
    resampled_length: number;
    resampled_first_2000: { data: number[] };
    resampled_20000_to_21999: { data: number[] };
    resampled_sum_of_squares: number;
  };
}

function snrDb(reference: ArrayLike<number>, test: ArrayLike<number>): number {
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < reference.length; i++) {
    signal += reference[i] ** 2;
    noise += (reference[i] - test[i]) ** 2;
  }
  return 10 * Math.log10(signal / noise);
}

function sine(frequency: number, sampleRate: number, length: number, phase = 0): Float32Array {
  return Float32Array.from({ length }, (_, i) => Math.sin((2 * Math.PI * frequency * i) / sampleRate + phase));
}

function rms(samples: Float32Array, from: number, to: number): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += samples[i] ** 2;
  return Math.sqrt(sum / (to - from));
}

async function cremaInput(name: string): Promise<Float32Array> {
  const bytes = readFileSync(`test/fixtures/audio/${name}.wav`);
  return (await decodeAudio(bytes, `${name}.wav`)).channels[0];
}

describe('resample against librosa/resampy kaiser_best', () => {
  for (const name of CREMA_CLIPS) {
    it(`matches the golden 16 kHz -> 22.05 kHz output for ${name}`, async () => {
      const golden = (JSON.parse(readFileSync(`test/fixtures/golden/crema_${name}.json`, 'utf8')) as CremaGolden).arrays;
      const input = await cremaInput(name);
      const output = resample(input, 16000, 22050);

      expect(output.length).toBe(golden.resampled_length);
      // The golden values carry 6 significant digits, which limits agreement to about 120 dB.
      const window = golden.resampled_20000_to_21999.data;
      expect(snrDb(window, output.subarray(20000, 22000))).toBeGreaterThan(100);
      expect(snrDb(golden.resampled_first_2000.data, output.subarray(0, 2000))).toBeGreaterThan(100);
      let sumOfSquares = 0;
      for (const x of output) sumOfSquares += x * x;
      expect(Math.abs(sumOfSquares - golden.resampled_sum_of_squares)).toBeLessThan(1e-5 * golden.resampled_sum_of_squares);
    });
  }

  it('gives the same result through the general (non-integer rate) path', async () => {
    const golden = (JSON.parse(readFileSync(`test/fixtures/golden/crema_${CREMA_CLIPS[0]}.json`, 'utf8')) as CremaGolden).arrays;
    // A rate a hair off 22050 cannot use the precomputed phases but lands on the same sample times.
    const output = resample(await cremaInput(CREMA_CLIPS[0]), 16000, 22050.000001);
    expect(output.length).toBe(golden.resampled_length);
    expect(snrDb(golden.resampled_20000_to_21999.data, output.subarray(20000, 22000))).toBeGreaterThan(100);

    const input = sine(1234, 44100, 8000);
    const downsampled = resample(input, 44100, 16000);
    expect(snrDb(downsampled, resample(input, 44100, 16000.000001))).toBeGreaterThan(100);
  });
});

describe('resample quality', () => {
  it('reproduces a 1 kHz sine upsampled 16 kHz -> 22.05 kHz to better than 60 dB away from the edges', () => {
    const output = resample(sine(1000, 16000, 16000), 16000, 22050);
    expect(output.length).toBe(22050);
    const analytic = sine(1000, 22050, 22050);
    // The filter spans 50 input samples either side; stay well clear of the zero-padded ends.
    const from = 200;
    const to = output.length - 200;
    const snr = snrDb(analytic.subarray(from, to), output.subarray(from, to));
    expect(snr).toBeGreaterThan(60);
  });

  it('removes a 15 kHz tone when downsampling 44.1 kHz -> 22.05 kHz (above the new Nyquist)', () => {
    const input = sine(15000, 44100, 44100);
    const output = resample(input, 44100, 22050);
    expect(output.length).toBe(22050);
    const attenuationDb = 20 * Math.log10(rms(output, 200, output.length - 200) / rms(input, 0, input.length));
    expect(attenuationDb).toBeLessThan(-60);
  });

  it('keeps a 1 kHz tone at unit gain when downsampling 48 kHz -> 16 kHz', () => {
    const output = resample(sine(1000, 48000, 48000), 48000, 16000);
    expect(output.length).toBe(16000);
    const analytic = sine(1000, 16000, 16000);
    expect(snrDb(analytic.subarray(100, 15900), output.subarray(100, 15900))).toBeGreaterThan(60);
  });

  it('returns the same samples when the rates are equal and pads to ceil(n * ratio)', () => {
    const input = sine(440, 16000, 1001);
    expect(resample(input, 16000, 16000)).toBe(input);
    expect(resample(input, 16000, 22050).length).toBe(Math.ceil((1001 * 22050) / 16000));
    expect(resample(input, 16000, 8000).length).toBe(501);
    expect(resample(new Float32Array(0), 16000, 22050).length).toBe(0);
    expect(() => resample(input, 0, 22050)).toThrow(RangeError);
  });
});

describe('StreamResampler', () => {
  const signal = (n: number) => Float32Array.from({ length: n }, (_, i) => 0.5 * Math.sin(i / 7) + 0.2 * Math.sin(i / 2.3));

  it('gives resample() of the whole signal, sample for sample, whatever the chunks', () => {
    for (const [from, to] of [
      [48000, 22050],
      [16000, 22050],
      [44100, 22050],
      [8000, 16000],
      [22050, 22050],
    ]) {
      const x = signal(from / 4 + 37);
      const whole = resample(x, from!, to!);
      for (const sizes of [[x.length], [1, 999], [480]]) {
        const stream = new StreamResampler(from!, to!);
        const parts: number[] = [];
        for (let at = 0, k = 0; at < x.length; k++) {
          const size = sizes[k % sizes.length]!;
          parts.push(...stream.push(x.subarray(at, at + size)));
          at += size;
        }
        // Before the end, the stream waits only for the filter's right wing.
        expect(parts.length).toBeGreaterThan(whole.length - 250);
        parts.push(...stream.flush());
        expect(Float32Array.from(parts)).toEqual(whole);
      }
    }
  });

  it('holds only what its filter reaches, however long the stream', () => {
    const stream = new StreamResampler(48000, 22050);
    const second = signal(48000);
    let held = 0;
    for (let s = 0; s < 120; s++) {
      stream.push(second);
      held = Math.max(held, stream.heldSamples);
    }
    expect(held).toBeLessThan(48000 + 500);
    expect(stream.heldSamples).toBeLessThan(500);
  });

  it('refuses rates it cannot resample live', () => {
    expect(() => new StreamResampler(44100.5, 22050)).toThrow(/whole positive rates/);
    expect(() => new StreamResampler(768_000, 22_051)).toThrow(/cannot resample a stream of 768000 Hz to 22051 Hz live/);
  });
});
