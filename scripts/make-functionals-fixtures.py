#!/usr/bin/env python3
"""Writes the synthetic clips the functional (LLD) tests check against Praat and numpy references.

Each clip is a glottal source (a Rosenberg pulse per period, with a known F0 contour and a little
period and amplitude perturbation) through three formant resonators, with noise-only and silent
stretches, at 22 050 Hz 16-bit mono, so the pitch tracker, voicing decisions, jitter/shimmer and
formants are exercised on speech-like input whose truth is known. Deterministic (fixed seeds).

    python3 scripts/make-functionals-fixtures.py test/fixtures/functionals
"""
import sys
import wave
from pathlib import Path

import numpy as np
from scipy.signal import lfilter

SR = 22050


def resonator(x, freq, bw):
    r = np.exp(-np.pi * bw / SR)
    theta = 2 * np.pi * freq / SR
    a = [1, -2 * r * np.cos(theta), r * r]
    return lfilter([1 - r], a, x)


def voiced(seconds, f0_start, f0_end, formants, rng, jitter=0.005, shimmer=0.03):
    n = int(seconds * SR)
    source = np.zeros(n)
    t = 0.0
    while True:
        frac = t / seconds
        f0 = f0_start + (f0_end - f0_start) * frac
        period = (1 / f0) * (1 + jitter * rng.standard_normal())
        start = int(t * SR)
        length = int(period * SR)
        if start + length >= n:
            break
        # Rosenberg pulse: rising 40 %, falling 16 % of the period, then closed.
        rise = int(0.4 * length)
        fall = int(0.16 * length)
        pulse = np.concatenate([
            0.5 * (1 - np.cos(np.pi * np.arange(rise) / rise)),
            np.cos(0.5 * np.pi * np.arange(fall) / fall),
            np.zeros(length - rise - fall),
        ])
        source[start:start + length] = pulse * (1 + shimmer * rng.standard_normal())
        t += period
    # The derivative of the glottal flow excites the tract (lip radiation).
    x = np.diff(source, prepend=0.0)
    for freq, bw in formants:
        x = resonator(x, freq, bw)
    ramp = np.minimum(1, np.minimum(np.arange(n), n - np.arange(n)) / (0.02 * SR))
    return x * ramp


def noise(seconds, rng, level):
    n = int(seconds * SR)
    return level * rng.standard_normal(n)


def normalise(x, peak=0.5):
    return x * (peak / np.max(np.abs(x)))


def write(path, x):
    pcm = np.round(np.clip(x, -1, 1) * 32767).astype('<i2')
    with wave.open(str(path), 'wb') as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(SR)
        f.writeframes(pcm.tobytes())


def main(out):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(22)
    a_vowel = [(700, 80), (1220, 90), (2600, 120)]
    i_vowel = [(300, 60), (2300, 100), (3000, 150)]
    clips = {
        # A low voice: rising then a silence, an /s/-like noise and a falling second vowel.
        'male.wav': np.concatenate([
            normalise(voiced(0.6, 105, 140, a_vowel, rng)),
            np.zeros(int(0.15 * SR)),
            normalise(np.diff(noise(0.2, rng, 1), prepend=0.0), 0.05),
            normalise(voiced(0.5, 130, 95, a_vowel, rng)),
        ]),
        # A high voice on /i/ with more perturbation.
        'female.wav': np.concatenate([
            np.zeros(int(0.1 * SR)),
            normalise(voiced(0.8, 210, 260, i_vowel, rng, jitter=0.01, shimmer=0.06)),
            np.zeros(int(0.1 * SR)),
        ]),
    }
    for name, x in clips.items():
        x = x + 1e-4 * rng.standard_normal(len(x))
        write(out / name, x)
        print(f'{out / name}: {len(x) / SR:.2f} s')


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else 'test/fixtures/functionals')
