;; The MFCC hot path (see wasm-mel.ts, which lays out the tables and calls it).
;;
;; melFrames: window → real FFT → |X|² → mel filterbank, frame after frame. The same algorithm as
;; fft.ts (an N-point real FFT as an N/2-point complex radix-4 FFT on bit-reversed input, then the
;; split step), in float64 with each complex number one f64x2 [re, im].
;; mfccFrames: power_to_db (with a logarithm of its own: wasm has none) and the orthonormal DCT-II.
;;
;; Every address is a byte offset into this module's memory. Complex products x · w take the
;; twiddle w as the pair A = [wr, wr], B = [−wi, wi], so that x · w = x · A + swap(x) · B, where
;; swap(x) = [x.im, x.re] (an i8x16.shuffle of the two halves): two multiplies and an add, no
;; lane extraction.
(module
  (memory (export "memory") 1)

  (func (export "melFrames")
    (param $samples i32)     ;; float32 samples, zero-padded by nFft/2 at both ends (centred frames)
    (param $frames i32)
    (param $hopBytes i32)    ;; hopLength · 4
    (param $half i32)        ;; n = nFft / 2, the complex FFT size
    (param $gather i32)      ;; i32 per slot: byte offset in the frame of the sample pair packed into that slot
    (param $window i32)      ;; f64x2 per slot: the window at that sample pair
    (param $twiddles i32)    ;; per radix-4 stage, per j: W^j, W^2j, W^3j as A, B pairs (6 f64x2)
    (param $work i32)        ;; n f64x2: the complex signal, transformed in place
    (param $split i32)       ;; per bin k ≤ n/2: the split-step twiddle W^k as an A, B pair
    (param $power i32)       ;; n + 1 f64: |X[k]|²
    (param $bands i32)       ;; 2 i32 per band: first bin, number of weights
    (param $weights i32)     ;; f64 weights, band after band
    (param $mels i32)
    (param $out i32)         ;; frames × mels f64, frame-major
    (param $radix2First i32) ;; log2(n) is odd: one radix-2 stage first, radix-4 after it
    (local $t i32) (local $frame i32) (local $outAt i32) (local $workEnd i32)
    ;; first stage
    (local $slot i32) (local $windowAt i32) (local $z i32)
    ;; radix-4 stages: blocks of length $s merged four at a time; strides in bytes
    (local $s i32) (local $stride i32) (local $stride2 i32) (local $stride3 i32) (local $span i32)
    (local $stageTwiddles i32) (local $j i32) (local $jTwiddles i32) (local $p i32)
    ;; split step: Z[k] and Z[n−k], power[k] and power[n−k], W^k
    (local $zk i32) (local $znk i32) (local $powerK i32) (local $powerNK i32) (local $splitAt i32)
    ;; mel bands
    (local $m i32) (local $band i32) (local $weight i32) (local $weightsEnd i32) (local $bin i32)
    (local $a v128) (local $b v128) (local $c v128) (local $d v128)
    (local $sumAB v128) (local $diffAB v128) (local $sumCD v128) (local $rot v128) (local $x v128)
    (local $w1A v128) (local $w1B v128) (local $w2A v128) (local $w2B v128) (local $w3A v128) (local $w3B v128)
    (local $sum f64)

    (local.set $t (i32.const 0))
    (local.set $frame (local.get $samples))
    (local.set $outAt (local.get $out))
    (local.set $workEnd (i32.add (local.get $work) (i32.shl (local.get $half) (i32.const 4))))
    (block $framesDone
      (loop $frames
        (br_if $framesDone (i32.eqz (i32.lt_u (local.get $t) (local.get $frames))))

        ;; First stage, fused with gathering the frame's sample pairs in bit-reversed order and
        ;; windowing them: slot i holds samples 2r, 2r + 1 (r = bitreverse(i)) as one complex number.
        (local.set $slot (local.get $gather))
        (local.set $windowAt (local.get $window))
        (local.set $z (local.get $work))
        (if (local.get $radix2First)
          (then
            (block $done
              (loop $pairs
                (br_if $done (i32.eqz (i32.lt_u (local.get $z) (local.get $workEnd))))
                (local.set $a
                  (f64x2.mul
                    (f64x2.promote_low_f32x4 (v128.load64_zero
                      (i32.add (local.get $frame) (i32.load (local.get $slot)))))
                    (v128.load (local.get $windowAt))))
                (local.set $b
                  (f64x2.mul
                    (f64x2.promote_low_f32x4 (v128.load64_zero
                      (i32.add (local.get $frame) (i32.load offset=4 (local.get $slot)))))
                    (v128.load offset=16 (local.get $windowAt))))
                (v128.store (local.get $z) (f64x2.add (local.get $a) (local.get $b)))
                (v128.store offset=16 (local.get $z) (f64x2.sub (local.get $a) (local.get $b)))
                (local.set $slot (i32.add (local.get $slot) (i32.const 8)))
                (local.set $windowAt (i32.add (local.get $windowAt) (i32.const 32)))
                (local.set $z (i32.add (local.get $z) (i32.const 32)))
                (br $pairs)))
            (local.set $s (i32.const 2)))
          (else
            (block $done
              (loop $quads
                (br_if $done (i32.eqz (i32.lt_u (local.get $z) (local.get $workEnd))))
                (local.set $a
                  (f64x2.mul
                    (f64x2.promote_low_f32x4 (v128.load64_zero
                      (i32.add (local.get $frame) (i32.load (local.get $slot)))))
                    (v128.load (local.get $windowAt))))
                (local.set $b
                  (f64x2.mul
                    (f64x2.promote_low_f32x4 (v128.load64_zero
                      (i32.add (local.get $frame) (i32.load offset=4 (local.get $slot)))))
                    (v128.load offset=16 (local.get $windowAt))))
                (local.set $c
                  (f64x2.mul
                    (f64x2.promote_low_f32x4 (v128.load64_zero
                      (i32.add (local.get $frame) (i32.load offset=8 (local.get $slot)))))
                    (v128.load offset=32 (local.get $windowAt))))
                (local.set $d
                  (f64x2.mul
                    (f64x2.promote_low_f32x4 (v128.load64_zero
                      (i32.add (local.get $frame) (i32.load offset=12 (local.get $slot)))))
                    (v128.load offset=48 (local.get $windowAt))))
                ;; radix-4 butterfly with unit twiddles; (c − d) · −i = [im, −re]
                (local.set $sumAB (f64x2.add (local.get $a) (local.get $b)))
                (local.set $diffAB (f64x2.sub (local.get $a) (local.get $b)))
                (local.set $sumCD (f64x2.add (local.get $c) (local.get $d)))
                (local.set $rot (f64x2.sub (local.get $c) (local.get $d)))
                (local.set $rot
                  (f64x2.mul
                    (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $rot) (local.get $rot))
                    (v128.const f64x2 1 -1)))
                (v128.store (local.get $z) (f64x2.add (local.get $sumAB) (local.get $sumCD)))
                (v128.store offset=16 (local.get $z) (f64x2.add (local.get $diffAB) (local.get $rot)))
                (v128.store offset=32 (local.get $z) (f64x2.sub (local.get $sumAB) (local.get $sumCD)))
                (v128.store offset=48 (local.get $z) (f64x2.sub (local.get $diffAB) (local.get $rot)))
                (local.set $slot (i32.add (local.get $slot) (i32.const 16)))
                (local.set $windowAt (i32.add (local.get $windowAt) (i32.const 64)))
                (local.set $z (i32.add (local.get $z) (i32.const 64)))
                (br $quads)))
            (local.set $s (i32.const 4))))

        ;; Radix-4 stages: blocks of length $s hold the DFTs of residues 0, 2, 1, 3 (mod 4) of
        ;; their merge. j outer, blocks inner, so the six twiddle vectors of a j are loaded once
        ;; per stage.
        (local.set $stageTwiddles (local.get $twiddles))
        (block $stagesDone
          (loop $stages
            (br_if $stagesDone (i32.eqz (i32.lt_u (local.get $s) (local.get $half))))
            (local.set $stride (i32.shl (local.get $s) (i32.const 4)))
            (local.set $stride2 (i32.shl (local.get $s) (i32.const 5)))
            (local.set $stride3 (i32.mul (local.get $s) (i32.const 48)))
            (local.set $span (i32.shl (local.get $s) (i32.const 6)))
            (local.set $j (i32.const 0))
            (local.set $jTwiddles (local.get $stageTwiddles))
            (block $jDone
              (loop $js
                (br_if $jDone (i32.eqz (i32.lt_u (local.get $j) (local.get $s))))
                (local.set $w1A (v128.load (local.get $jTwiddles)))
                (local.set $w1B (v128.load offset=16 (local.get $jTwiddles)))
                (local.set $w2A (v128.load offset=32 (local.get $jTwiddles)))
                (local.set $w2B (v128.load offset=48 (local.get $jTwiddles)))
                (local.set $w3A (v128.load offset=64 (local.get $jTwiddles)))
                (local.set $w3B (v128.load offset=80 (local.get $jTwiddles)))
                (local.set $p (i32.add (local.get $work) (i32.shl (local.get $j) (i32.const 4))))
                (block $blocksDone
                  (loop $blocks
                    (br_if $blocksDone (i32.eqz (i32.lt_u (local.get $p) (local.get $workEnd))))
                    (local.set $a (v128.load (local.get $p)))
                    ;; b = W^2j · (second block), c = W^j · (third), d = W^3j · (fourth)
                    (local.set $x (v128.load (i32.add (local.get $p) (local.get $stride))))
                    (local.set $b
                      (f64x2.add
                        (f64x2.mul (local.get $x) (local.get $w2A))
                        (f64x2.mul
                          (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x))
                          (local.get $w2B))))
                    (local.set $x (v128.load (i32.add (local.get $p) (local.get $stride2))))
                    (local.set $c
                      (f64x2.add
                        (f64x2.mul (local.get $x) (local.get $w1A))
                        (f64x2.mul
                          (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x))
                          (local.get $w1B))))
                    (local.set $x (v128.load (i32.add (local.get $p) (local.get $stride3))))
                    (local.set $d
                      (f64x2.add
                        (f64x2.mul (local.get $x) (local.get $w3A))
                        (f64x2.mul
                          (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x))
                          (local.get $w3B))))
                    (local.set $sumAB (f64x2.add (local.get $a) (local.get $b)))
                    (local.set $diffAB (f64x2.sub (local.get $a) (local.get $b)))
                    (local.set $sumCD (f64x2.add (local.get $c) (local.get $d)))
                    (local.set $rot (f64x2.sub (local.get $c) (local.get $d)))
                    (local.set $rot
                      (f64x2.mul
                        (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $rot) (local.get $rot))
                        (v128.const f64x2 1 -1)))
                    (v128.store (local.get $p) (f64x2.add (local.get $sumAB) (local.get $sumCD)))
                    (v128.store (i32.add (local.get $p) (local.get $stride)) (f64x2.add (local.get $diffAB) (local.get $rot)))
                    (v128.store (i32.add (local.get $p) (local.get $stride2)) (f64x2.sub (local.get $sumAB) (local.get $sumCD)))
                    (v128.store (i32.add (local.get $p) (local.get $stride3)) (f64x2.sub (local.get $diffAB) (local.get $rot)))
                    (local.set $p (i32.add (local.get $p) (local.get $span)))
                    (br $blocks)))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (local.set $jTwiddles (i32.add (local.get $jTwiddles) (i32.const 96)))
                (br $js)))
            (local.set $stageTwiddles (i32.add (local.get $stageTwiddles) (i32.mul (local.get $s) (i32.const 96))))
            (local.set $s (i32.shl (local.get $s) (i32.const 2)))
            (br $stages)))

        ;; Split step fused with |X|²: with a = Z[k], b = conj(Z[n−k]): E = (a + b)/2,
        ;; O = −i (a − b)/2, X[k] = E + W^k O and X[n−k] = conj(E − W^k O). Bins 0 and n first:
        ;; X[0] = re + im, X[n] = re − im of Z[0].
        (local.set $a (v128.load (local.get $work)))
        (f64.store (local.get $power)
          (f64.mul
            (f64.add (f64x2.extract_lane 0 (local.get $a)) (f64x2.extract_lane 1 (local.get $a)))
            (f64.add (f64x2.extract_lane 0 (local.get $a)) (f64x2.extract_lane 1 (local.get $a)))))
        (f64.store (i32.add (local.get $power) (i32.shl (local.get $half) (i32.const 3)))
          (f64.mul
            (f64.sub (f64x2.extract_lane 0 (local.get $a)) (f64x2.extract_lane 1 (local.get $a)))
            (f64.sub (f64x2.extract_lane 0 (local.get $a)) (f64x2.extract_lane 1 (local.get $a)))))
        ;; Unscaled: a + b and −i (a − b) are 2E and 2O, so the squares come out 4× (and ×0.25 is
        ;; exact: a power of two).
        (local.set $zk (i32.add (local.get $work) (i32.const 16)))
        (local.set $znk (i32.add (local.get $work) (i32.shl (i32.sub (local.get $half) (i32.const 1)) (i32.const 4))))
        (local.set $powerK (i32.add (local.get $power) (i32.const 8)))
        (local.set $powerNK (i32.add (local.get $power) (i32.shl (i32.sub (local.get $half) (i32.const 1)) (i32.const 3))))
        (local.set $splitAt (i32.add (local.get $split) (i32.const 32)))
        (block $splitDone
          (loop $bins
            (br_if $splitDone (i32.eqz (i32.le_u (local.get $zk) (local.get $znk))))
            (local.set $a (v128.load (local.get $zk)))
            (local.set $b (f64x2.mul (v128.load (local.get $znk)) (v128.const f64x2 1 -1)))
            (local.set $sumAB (f64x2.add (local.get $a) (local.get $b)))
            (local.set $rot (f64x2.sub (local.get $a) (local.get $b)))
            ;; W^k · (−i (a − b))
            (local.set $x
              (f64x2.mul
                (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $rot) (local.get $rot))
                (v128.const f64x2 1 -1)))
            (local.set $rot
              (f64x2.add
                (f64x2.mul (local.get $x) (v128.load (local.get $splitAt)))
                (f64x2.mul
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x))
                  (v128.load offset=16 (local.get $splitAt)))))
            (local.set $c (f64x2.add (local.get $sumAB) (local.get $rot)))
            (local.set $d (f64x2.sub (local.get $sumAB) (local.get $rot)))
            (local.set $c (f64x2.mul (local.get $c) (local.get $c)))
            (local.set $d (f64x2.mul (local.get $d) (local.get $d)))
            ;; [|X[k]|², |X[n−k]|²] = ([re², re²'] + [im², im²']) / 4
            (local.set $c
              (f64x2.mul
                (f64x2.add
                  (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $c) (local.get $d))
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $c) (local.get $d)))
                (v128.const f64x2 0.25 0.25)))
            (v128.store64_lane 0 (local.get $powerK) (local.get $c))
            (v128.store64_lane 1 (local.get $powerNK) (local.get $c))
            (local.set $zk (i32.add (local.get $zk) (i32.const 16)))
            (local.set $znk (i32.sub (local.get $znk) (i32.const 16)))
            (local.set $powerK (i32.add (local.get $powerK) (i32.const 8)))
            (local.set $powerNK (i32.sub (local.get $powerNK) (i32.const 8)))
            (local.set $splitAt (i32.add (local.get $splitAt) (i32.const 32)))
            (br $bins)))

        ;; Mel bands: out[t][m] = Σ weights · power over the band's run of bins, two weights at a
        ;; time in the lanes of $a, then the odd one out.
        (local.set $m (i32.const 0))
        (local.set $band (local.get $bands))
        (local.set $weight (local.get $weights))
        (block $melsDone
          (loop $melBands
            (br_if $melsDone (i32.eqz (i32.lt_u (local.get $m) (local.get $mels))))
            (local.set $bin (i32.add (local.get $power) (i32.shl (i32.load (local.get $band)) (i32.const 3))))
            (local.set $weightsEnd
              (i32.add (local.get $weight) (i32.shl (i32.load offset=4 (local.get $band)) (i32.const 3))))
            (local.set $a (v128.const f64x2 0 0))
            (block $pairsDone
              (loop $pairs
                (br_if $pairsDone
                  (i32.eqz (i32.lt_u (i32.add (local.get $weight) (i32.const 8)) (local.get $weightsEnd))))
                (local.set $a
                  (f64x2.add (local.get $a)
                    (f64x2.mul (v128.load (local.get $weight)) (v128.load (local.get $bin)))))
                (local.set $weight (i32.add (local.get $weight) (i32.const 16)))
                (local.set $bin (i32.add (local.get $bin) (i32.const 16)))
                (br $pairs)))
            (local.set $sum (f64.add (f64x2.extract_lane 0 (local.get $a)) (f64x2.extract_lane 1 (local.get $a))))
            (block $lastDone
              (loop $last
                (br_if $lastDone (i32.eqz (i32.lt_u (local.get $weight) (local.get $weightsEnd))))
                (local.set $sum
                  (f64.add (local.get $sum) (f64.mul (f64.load (local.get $weight)) (f64.load (local.get $bin)))))
                (local.set $weight (i32.add (local.get $weight) (i32.const 8)))
                (local.set $bin (i32.add (local.get $bin) (i32.const 8)))
                (br $last)))
            (f64.store (local.get $outAt) (local.get $sum))
            (local.set $m (i32.add (local.get $m) (i32.const 1)))
            (local.set $band (i32.add (local.get $band) (i32.const 8)))
            (local.set $outAt (i32.add (local.get $outAt) (i32.const 8)))
            (br $melBands)))

        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (local.set $frame (i32.add (local.get $frame) (local.get $hopBytes)))
        (br $frames))))

  ;; Returns 1, writing nothing, when the mel power has a NaN or an infinity (the caller then
  ;; takes the JavaScript path, whose Math.log handles those); 0 when done.
  (func (export "mfccFrames")
    (param $mel i32)     ;; frames × mels f64 mel power, frame-major
    (param $db i32)      ;; frames × mels f64: the dB values
    (param $count i32)   ;; frames × mels
    (param $mels i32)    ;; a multiple of 8 (the DCT takes two pairs of m per step)
    (param $dct i32)     ;; nMfcc × mels/2 f64: the first half of each row of the orthonormal DCT-II matrix
    (param $nMfcc i32)
    (param $out i32)     ;; float32 [nMfcc][columns]
    (param $columns i32)
    (param $used i32)    ;; frames to transform
    (param $fold i32)    ;; mels f64 scratch: a frame's dB folded about its middle
    (param $amin f64) (param $refDb f64) (param $topDb f64)
    (result i32)
    (local $at i32) (local $end i32) (local $bad i32) (local $t i32) (local $k i32) (local $row i32)
    (local $mirror i32) (local $foldAt i32) (local $dctAt i32) (local $halfBytes i32)
    (local $bits i64)
    (local $x f64) (local $e f64) (local $mant f64) (local $s f64) (local $z f64) (local $max f64)
    (local $v v128) (local $v2 v128) (local $a v128)

    ;; Pass 1: dB = 10·log10(max(amin, power)) − refDb, and its maximum; flags NaN and infinite power.
    (local.set $max (f64.const -inf))
    (local.set $bad (i32.const 0))
    (local.set $at (i32.const 0))
    (local.set $end (i32.shl (local.get $count) (i32.const 3)))
    (block $done
      (loop $values
        (br_if $done (i32.eqz (i32.lt_u (local.get $at) (local.get $end))))
        (local.set $x (f64.load (i32.add (local.get $mel) (local.get $at))))
        (local.set $bad
          (i32.or (local.get $bad)
            (i32.or
              (f64.ne (local.get $x) (local.get $x))
              (f64.gt (local.get $x) (f64.const 0x1.fffffffffffffp+1023)))))  ;; Number.MAX_VALUE
        ;; ln(x) for a positive normal x: x = 2^e · m with m in [√½, √2), ln m = 2·atanh(s) with
        ;; s = (m − 1)/(m + 1), |s| < 0.172, from its series to s^15 (relative error below 1e-14).
        (local.set $bits (i64.reinterpret_f64 (f64.max (local.get $x) (local.get $amin))))
        (local.set $e
          (f64.convert_i64_s (i64.sub (i64.shr_s (local.get $bits) (i64.const 52)) (i64.const 1023))))
        (local.set $mant
          (f64.reinterpret_i64
            (i64.or (i64.and (local.get $bits) (i64.const 0xfffffffffffff)) (i64.const 0x3ff0000000000000))))
        ;; m in [1, 2): above √2, halve it and count one more power of two
        (local.set $e
          (select (f64.add (local.get $e) (f64.const 1)) (local.get $e)
            (f64.gt (local.get $mant) (f64.const 0x1.6a09e667f3bcdp+0))))  ;; √2
        (local.set $mant
          (select (f64.mul (local.get $mant) (f64.const 0.5)) (local.get $mant)
            (f64.gt (local.get $mant) (f64.const 0x1.6a09e667f3bcdp+0))))
        (local.set $s
          (f64.div (f64.sub (local.get $mant) (f64.const 1)) (f64.add (local.get $mant) (f64.const 1))))
        (local.set $z (f64.mul (local.get $s) (local.get $s)))
        ;; dB = 10/ln 10 · (e · ln 2 + 2s · (1 + z/3 + z²/5 + … + z⁷/15)) − refDb, the series by Horner
        (local.set $x
          (f64.sub
            (f64.mul
              (f64.const 0x1.15f2ced384f28p+2)  ;; 10 / ln 10
              (f64.add
                (f64.mul (local.get $e) (f64.const 0x1.62e42fefa39efp-1))  ;; ln 2
                (f64.mul
                  (f64.mul (f64.const 2) (local.get $s))
                  (f64.add (f64.mul
                  (f64.add (f64.mul
                  (f64.add (f64.mul
                  (f64.add (f64.mul
                  (f64.add (f64.mul
                  (f64.add (f64.mul
                  (f64.add (f64.mul
                    (f64.const 0x1.1111111111111p-4)  ;; 1/15
                    (local.get $z)) (f64.const 0x1.3b13b13b13b14p-4))  ;; 1/13
                    (local.get $z)) (f64.const 0x1.745d1745d1746p-4))  ;; 1/11
                    (local.get $z)) (f64.const 0x1.c71c71c71c71cp-4))  ;; 1/9
                    (local.get $z)) (f64.const 0x1.2492492492492p-3))  ;; 1/7
                    (local.get $z)) (f64.const 0x1.999999999999ap-3))  ;; 1/5
                    (local.get $z)) (f64.const 0x1.5555555555555p-2))  ;; 1/3
                    (local.get $z)) (f64.const 1)))))
            (local.get $refDb)))
        (f64.store (i32.add (local.get $db) (local.get $at)) (local.get $x))
        (local.set $max (f64.max (local.get $max) (local.get $x)))
        (local.set $at (i32.add (local.get $at) (i32.const 8)))
        (br $values)))
    (if (local.get $bad) (then (return (local.get $bad))))

    ;; Pass 2: floor at max − topDb.
    (local.set $max (f64.sub (local.get $max) (local.get $topDb)))
    (local.set $at (local.get $db))
    (local.set $end (i32.add (local.get $db) (i32.shl (local.get $count) (i32.const 3))))
    (block $done
      (loop $values
        (br_if $done (i32.eqz (i32.lt_u (local.get $at) (local.get $end))))
        (f64.store (local.get $at) (f64.max (f64.load (local.get $at)) (local.get $max)))
        (local.set $at (i32.add (local.get $at) (i32.const 8)))
        (br $values)))

    ;; DCT: out[k][t] = Σ_m dct[k][m] · db[t][m] (float32). Row k of the DCT-II matrix is even
    ;; (k even) or odd (k odd) about its middle, so with u[m] = x[m] + x[N−1−m] and
    ;; w[m] = x[m] − x[N−1−m] (m < N/2), y[k] = Σ_{m<N/2} dct[k][m] · (k even ? u : w)[m]: half
    ;; the products.
    (local.set $halfBytes (i32.shl (local.get $mels) (i32.const 2)))  ;; (N/2) · 8
    (local.set $t (i32.const 0))
    (local.set $row (local.get $db))
    (block $framesDone
      (loop $frames
        (br_if $framesDone (i32.eqz (i32.lt_u (local.get $t) (local.get $used))))
        ;; fold, two m at a time: u at $fold, w right after it. The pair x[N−2−m], x[N−1−m] is
        ;; swapped to line up with x[m], x[m+1].
        (local.set $at (local.get $row))
        (local.set $mirror (i32.add (local.get $row) (i32.shl (i32.sub (local.get $mels) (i32.const 2)) (i32.const 3))))
        (local.set $foldAt (local.get $fold))
        (local.set $end (i32.add (local.get $row) (local.get $halfBytes)))
        (block $foldDone
          (loop $folding
            (br_if $foldDone (i32.eqz (i32.lt_u (local.get $at) (local.get $end))))
            (local.set $a (v128.load (local.get $at)))
            (local.set $v (v128.load (local.get $mirror)))
            (local.set $v (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))
            (v128.store (local.get $foldAt) (f64x2.add (local.get $a) (local.get $v)))
            (v128.store (i32.add (local.get $foldAt) (local.get $halfBytes)) (f64x2.sub (local.get $a) (local.get $v)))
            (local.set $at (i32.add (local.get $at) (i32.const 16)))
            (local.set $mirror (i32.sub (local.get $mirror) (i32.const 16)))
            (local.set $foldAt (i32.add (local.get $foldAt) (i32.const 16)))
            (br $folding)))
        (local.set $k (i32.const 0))
        (local.set $dctAt (local.get $dct))
        (block $coefficientsDone
          (loop $coefficients
            (br_if $coefficientsDone (i32.eqz (i32.lt_u (local.get $k) (local.get $nMfcc))))
            ;; two accumulators, so that consecutive adds do not wait on each other
            (local.set $v (v128.const f64x2 0 0))
            (local.set $v2 (v128.const f64x2 0 0))
            (local.set $at  ;; u, or w for odd k
              (i32.add (local.get $fold) (i32.mul (i32.and (local.get $k) (i32.const 1)) (local.get $halfBytes))))
            (local.set $end (i32.add (local.get $at) (local.get $halfBytes)))
            (block $productsDone
              (loop $products
                (br_if $productsDone (i32.eqz (i32.lt_u (local.get $at) (local.get $end))))
                (local.set $v
                  (f64x2.add (local.get $v) (f64x2.mul (v128.load (local.get $at)) (v128.load (local.get $dctAt)))))
                (local.set $v2
                  (f64x2.add (local.get $v2)
                    (f64x2.mul (v128.load offset=16 (local.get $at)) (v128.load offset=16 (local.get $dctAt)))))
                (local.set $at (i32.add (local.get $at) (i32.const 32)))
                (local.set $dctAt (i32.add (local.get $dctAt) (i32.const 32)))
                (br $products)))
            (local.set $v (f64x2.add (local.get $v) (local.get $v2)))
            (f32.store
              (i32.add (local.get $out)
                (i32.shl (i32.add (i32.mul (local.get $k) (local.get $columns)) (local.get $t)) (i32.const 2)))
              (f32.demote_f64 (f64.add (f64x2.extract_lane 0 (local.get $v)) (f64x2.extract_lane 1 (local.get $v)))))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $coefficients)))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (local.set $row (i32.add (local.get $row) (i32.shl (local.get $mels) (i32.const 3))))
        (br $frames)))
    (i32.const 0)))
