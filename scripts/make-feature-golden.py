#!/usr/bin/env python3
"""Writes test/fixtures/features/feature-golden.json: log-mel with a frequency range and MFCC
deltas for slices of one EmoDB clip, computed in numpy/scipy with librosa 0.10's documented
formulas (librosa itself is not needed):

- STFT: centred, 1024 zeros each side (pad_mode 'constant'), periodic Hann, power 2;
- librosa.filters.mel: Slaney mel scale, Slaney area norm, weights stored as float32;
- librosa.power_to_db: ref 1, amin 1e-10, top_db 80 below the maximum of the whole matrix;
- librosa.feature.mfcc: scipy.fft.dct(type=2, norm='ortho') over the mel axis, first n_mfcc rows;
- librosa.feature.delta(width=9, order, mode='interp'):
  scipy.signal.savgol_filter(x, 9, deriv=order, polyorder=order, mode='interp', axis=-1).
  librosa refuses rows shorter than the width; main/features/delta.ts then uses the widest odd
  window that fits (zeros when it is `order` frames or fewer), and so does this script, with scipy.

Run from the repository root: python3 scripts/make-feature-golden.py
"""
import json
import os
import wave

import numpy as np
import scipy.fft
import scipy.signal

CLIP = 'test/fixtures/audio/03a01Wa.wav'
OUT = 'test/fixtures/features/feature-golden.json'
SR, N_FFT, HOP = 22050, 2048, 512
DELTA_WIDTH = 9


def load_pcm16(path):
    with wave.open(path) as w:
        assert w.getframerate() == SR and w.getnchannels() == 1 and w.getsampwidth() == 2
        frames = w.readframes(w.getnframes())
    return (np.frombuffer(frames, dtype='<i2').astype(np.float32) / 32768.0).astype(np.float64)


def hz_to_mel(hz):
    hz = np.asanyarray(hz, dtype=np.float64)
    f_sp = 200.0 / 3
    mels = hz / f_sp
    min_log_hz, min_log_mel, logstep = 1000.0, 1000.0 / f_sp, np.log(6.4) / 27.0
    return np.where(hz >= min_log_hz, min_log_mel + np.log(np.maximum(hz, 1e-300) / min_log_hz) / logstep, mels)


def mel_to_hz(mels):
    mels = np.asanyarray(mels, dtype=np.float64)
    f_sp = 200.0 / 3
    min_log_hz, min_log_mel, logstep = 1000.0, 1000.0 / f_sp, np.log(6.4) / 27.0
    return np.where(mels >= min_log_mel, min_log_hz * np.exp(logstep * (mels - min_log_mel)), f_sp * mels)


def mel_filterbank(n_mels, fmin, fmax):
    fftfreqs = np.fft.rfftfreq(n=N_FFT, d=1.0 / SR)
    mel_f = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = np.subtract.outer(mel_f, fftfreqs)
    weights = np.zeros((n_mels, len(fftfreqs)), dtype=np.float32)
    for i in range(n_mels):
        lower = -ramps[i] / fdiff[i]
        upper = ramps[i + 2] / fdiff[i + 1]
        weights[i] = np.maximum(0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_f[2 : n_mels + 2] - mel_f[:n_mels]))[:, np.newaxis]
    return weights.astype(np.float64)


def power_spectrogram(y):
    padded = np.pad(y, N_FFT // 2)
    n_frames = 1 + len(y) // HOP
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)
    frames = np.stack([padded[t * HOP : t * HOP + N_FFT] * window for t in range(n_frames)], axis=1)
    return np.abs(np.fft.rfft(frames, axis=0)) ** 2


def power_to_db(s, amin=1e-10, top_db=80.0):
    db = 10.0 * np.log10(np.maximum(amin, s))
    return np.maximum(db, db.max() - top_db)


def log_mel(y, n_mels, fmin=0.0, fmax=SR / 2):
    return power_to_db(mel_filterbank(n_mels, fmin, fmax) @ power_spectrogram(y))


def mfcc(y, n_mfcc, n_mels=128):
    return scipy.fft.dct(log_mel(y, n_mels), axis=-2, type=2, norm='ortho')[:n_mfcc]


def delta(x, order):
    frames = x.shape[-1]
    width = min(DELTA_WIDTH, frames if frames % 2 == 1 else frames - 1)
    if width <= order:
        return np.zeros_like(x)
    return scipy.signal.savgol_filter(x, width, deriv=order, polyorder=order, mode='interp', axis=-1)


def array(x):
    return {'shape': list(x.shape), 'data': [[float(f'{v:.7g}') for v in row] for row in x]}


def check_against_librosa(y):
    """These formulas reproduce librosa's own output in test/fixtures/golden before anything is written."""
    with open(f'test/fixtures/golden/emodb_{os.path.basename(CLIP)[:-4]}.json') as f:
        reference = np.array(json.load(f)['arrays']['mel_db']['data'])
    worst = np.abs(log_mel(y, 128) - reference).max()
    assert worst < 1e-3, f'log-mel differs from librosa by {worst} dB'


def main():
    y = load_pcm16(CLIP)
    check_against_librosa(y)
    one_second = y[:SR]
    cases = {}
    cases['logmel64_fmin50_fmax8000'] = {
        'samples': SR,
        'params': {'n_mels': 64, 'fmin': 50.0, 'fmax': 8000.0},
        'array': array(log_mel(one_second, 64, 50.0, 8000.0)),
    }
    m = mfcc(one_second, 13)
    for order in (1, 2):
        cases[f'mfcc13_delta{order}'] = {'samples': SR, 'params': {'n_mfcc': 13, 'order': order}, 'array': array(delta(m, order))}
    # Fewer frames than the width: 8, 5, 3 and 2 frames (windows 7, 5, 3 and none).
    for samples in (4000, 2100, 1100, 600):
        short = mfcc(y[:samples], 13)
        for order in (1, 2):
            cases[f'mfcc13_delta{order}_{short.shape[1]}frames'] = {
                'samples': samples,
                'params': {'n_mfcc': 13, 'order': order},
                'array': array(delta(short, order)),
            }
    out = {
        'description': 'log-mel and delta references from librosa 0.10 formulas in numpy/scipy (scripts/make-feature-golden.py)',
        'clip': os.path.basename(CLIP),
        'slice': 'first `samples` samples of the clip',
        'common': {'sr': SR, 'n_fft': N_FFT, 'hop_length': HOP, 'n_mels_for_mfcc': 128, 'top_db': 80.0, 'delta_width': DELTA_WIDTH},
        'versions': {'numpy': np.__version__, 'scipy': scipy.__version__},
        'cases': cases,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, 'w') as f:
        json.dump(out, f, separators=(',', ':'))
        f.write('\n')


if __name__ == '__main__':
    main()
