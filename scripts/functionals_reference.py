#!/usr/bin/env python3
"""numpy references for the spectral LLDs of main/features/functionals (docs/FUNCTIONALS.md):
the formulas librosa uses (centroid, roll-off, flatness), and this workbench's definitions of
flux, entropy, variance, skewness, kurtosis, band slopes, alpha ratio, Hammarberg index, RMS
energy and zero-crossing rate, written independently here. Frames every 10 ms centred on
round(i * 0.01 * sr), a 25 ms Hamming window zero-padded to the next power of two, zeros outside
the clip. Values are before the 3-frame smoothing.

    python3 scripts/functionals_reference.py CLIP.wav OUT.json
"""
import json
import sys
import wave

import numpy as np


def read_wav(path):
    with wave.open(path, 'rb') as f:
        sr = f.getframerate()
        x = np.frombuffer(f.readframes(f.getnframes()), dtype='<i2').astype(np.float64) / 32768.0
    return x, sr


def frame_at(x, centre, length):
    start = centre - length // 2
    out = np.zeros(length)
    lo, hi = max(0, start), min(len(x), start + length)
    out[lo - start:hi - start] = x[lo:hi]
    return out


def band(lo, hi, bin_hz, bins):
    return max(0, int(np.ceil(lo / bin_hz))), min(bins - 1, int(np.floor(hi / bin_hz)))


def db(ratio):
    return 10 * np.log10(ratio) if ratio > 0 and np.isfinite(ratio) else 0.0


def slope(logp_db, freqs, lo, hi, bin_hz):
    a, b = band(lo, hi, bin_hz, len(freqs))
    if b - a + 1 < 2:
        return 0.0
    return float(np.polyfit(freqs[a:b + 1], logp_db[a:b + 1], 1)[0])


def main(wav, out):
    x, sr = read_wav(wav)
    hop = 0.01 * sr
    frames = max(1, int(np.floor((len(x) - 1) / hop)) + 1)
    length = max(2, round(0.025 * sr))
    size = 4
    while size < length:
        size *= 2
    window = np.hamming(length)
    bin_hz = sr / size
    bins = size // 2 + 1
    freqs = np.arange(bins) * bin_hz
    names = ['rmsEnergy', 'zcr', 'spectralCentroid', 'spectralVariance', 'spectralSkewness', 'spectralKurtosis',
             'spectralEntropy', 'spectralFlatness', 'spectralFlux', 'spectralSlope', 'slope0-500', 'slope500-1500',
             'alphaRatio', 'hammarbergIndex', 'spectralRollOff25', 'spectralRollOff50', 'spectralRollOff75',
             'spectralRollOff90']
    result = {name: [] for name in names}
    previous = None
    for t in range(frames):
        centre = int(np.floor(t * hop + 0.5))  # JavaScript Math.round, not round-half-even
        raw = frame_at(x, centre, length)
        result['rmsEnergy'].append(float(np.sqrt(np.mean(raw ** 2))))
        result['zcr'].append(float(np.sum((raw[1:] >= 0) != (raw[:-1] >= 0)) / length))
        spectrum = np.fft.rfft(raw * window, size)
        power = np.abs(spectrum) ** 2
        mag = np.sqrt(power)
        total = power.sum()
        # librosa.feature.spectral_centroid: magnitude-weighted mean frequency.
        result['spectralCentroid'].append(float((freqs * mag).sum() / mag.sum()) if mag.sum() > 0 else 0.0)
        if total > 0:
            p = power / total
            mu = (freqs * p).sum()
            var = ((freqs - mu) ** 2 * p).sum()
            sd = np.sqrt(var)
            nz = p[p > 0]
            result['spectralVariance'].append(float(var))
            result['spectralSkewness'].append(float(((freqs - mu) ** 3 * p).sum() / sd ** 3) if sd > 0 else 0.0)
            result['spectralKurtosis'].append(float(((freqs - mu) ** 4 * p).sum() / var ** 2) if sd > 0 else 0.0)
            result['spectralEntropy'].append(float(-(nz * np.log2(nz)).sum() / np.log2(bins)))
        else:
            for name in ['spectralVariance', 'spectralSkewness', 'spectralKurtosis', 'spectralEntropy']:
                result[name].append(0.0)
        # librosa.feature.spectral_flatness (power=2, amin=1e-10).
        clipped = np.maximum(power, 1e-10)
        result['spectralFlatness'].append(float(np.exp(np.mean(np.log(clipped))) / np.mean(clipped)))
        if previous is None or mag.sum() == 0 or previous.sum() == 0:
            result['spectralFlux'].append(0.0)
        else:
            result['spectralFlux'].append(float(np.sqrt(((mag / mag.sum() - previous / previous.sum()) ** 2).sum())))
        previous = mag
        logp_db = 10 * np.log10(clipped)
        result['spectralSlope'].append(slope(logp_db, freqs, 0, sr / 2, bin_hz))
        result['slope0-500'].append(slope(logp_db, freqs, 0, 500, bin_hz))
        result['slope500-1500'].append(slope(logp_db, freqs, 500, 1500, bin_hz))
        a0, a1 = band(50, 1000, bin_hz, bins)
        b0, b1 = band(1000 + bin_hz / 2, 5000, bin_hz, bins)
        result['alphaRatio'].append(db(power[a0:a1 + 1].sum() / power[b0:b1 + 1].sum()))
        h0, h1 = band(0, 2000, bin_hz, bins)
        g0, g1 = band(2000 + bin_hz / 2, 5000, bin_hz, bins)
        result['hammarbergIndex'].append(db(power[h0:h1 + 1].max() / power[g0:g1 + 1].max()))
        # librosa.feature.spectral_rolloff: the first bin where the cumulative magnitude reaches the fraction.
        cumulative = np.cumsum(mag)
        for percent in (25, 50, 75, 90):
            if mag.sum() > 0:
                k = int(np.argmax(cumulative >= percent / 100 * mag.sum()))
                result[f'spectralRollOff{percent}'].append(float(k * bin_hz))
            else:
                result[f'spectralRollOff{percent}'].append(0.0)
    rounded = {name: [float(f'{v:.7g}') for v in values] for name, values in result.items()}
    with open(out, 'w') as f:
        json.dump({'sampleRate': sr, 'frames': frames, 'descriptors': rounded}, f)
        f.write('\n')


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
