#!/bin/sh
# Regenerates the fixtures and references of test/features/functionals/reference.test.ts:
# the synthetic clips, Praat's pitch / jitter / shimmer / HNR / formants and the numpy spectral
# descriptors for each. Needs python3 with numpy and scipy, and Debian's praat.
set -e
dir=test/fixtures/functionals
python3 scripts/make-functionals-fixtures.py "$dir"
for wav in "$dir"/*.wav; do
  name=$(basename "$wav" .wav)
  praat --run scripts/functionals-reference.praat "$(realpath "$wav")" "$(realpath "$dir")/$name.praat.csv"
  python3 scripts/functionals_reference.py "$wav" "$dir/$name.spectral.json"
done
