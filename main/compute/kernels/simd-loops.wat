;; The SIMD loops (see simd-loops.ts): per-channel passes over NHWC activations that JavaScript
;; runs 5–10× slower. Every pointer is a byte offset into the wasm backend's own memory, where the
;; tensors live; channel counts are multiples of 4 (one f32x4 lane group), which the callers check.
;; The memory is imported shared (the threaded backend); simd-loops.ts also imports this module
;; as `?bytes&unshared` for the single-threaded backend's plain memory. The maximum of a shared
;; import must be declared: 65536 pages (4 GiB) admits any memory.
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; f64 accumulators at $at (4 of them) += the four f32 lanes of $v.
  (func $accumulate (param $at i32) (param $v v128)
    (v128.store (local.get $at)
      (f64x2.add (v128.load (local.get $at)) (f64x2.promote_low_f32x4 (local.get $v))))
    (v128.store offset=16 (local.get $at)
      (f64x2.add (v128.load offset=16 (local.get $at))
        (f64x2.promote_low_f32x4
          (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))))

  ;; min(pixels, p0 + 256): pixels are summed in blocks of 256 in f32 registers (one block of
  ;; 32 channels is 32 KiB, so it stays in L1 while each lane group walks it), then in f64.
  (func $blockEnd (param $p0 i32) (param $pixels i32) (result i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $p0) (i32.const 256)))
    (select (local.get $pixels) (local.get $end) (i32.lt_u (local.get $pixels) (local.get $end))))

  ;; The first and one-past-last input row (or column) of pooling window o, clipped to the image.
  (func $windowStart (param $o i32) (param $stride i32) (param $pad i32) (result i32)
    (local $start i32)
    (local.set $start (i32.sub (i32.mul (local.get $o) (local.get $stride)) (local.get $pad)))
    (select (local.get $start) (i32.const 0) (i32.gt_s (local.get $start) (i32.const 0))))
  (func $windowEnd (param $o i32) (param $stride i32) (param $pad i32) (param $filter i32) (param $size i32) (result i32)
    (local $end i32)
    (local.set $end (i32.add (i32.sub (i32.mul (local.get $o) (local.get $stride)) (local.get $pad)) (local.get $filter)))
    (select (local.get $end) (local.get $size) (i32.lt_s (local.get $end) (local.get $size))))

  ;; dx[at] += value, for a byte offset at ≥ 0 (−1: no maximum, nothing to add).
  (func $addAt (param $dx i32) (param $at i32) (param $value f32)
    (if (i32.ge_s (local.get $at) (i32.const 0)) (then
      (local.set $at (i32.add (local.get $dx) (local.get $at)))
      (f32.store (local.get $at) (f32.add (f32.load (local.get $at)) (local.get $value))))))

  ;; Per-channel sums of a and b [pixels, channels] about per-channel offsets ka and kb
  ;; (f32[channels] each), added to f64 out[2 · channels]:
  ;;   out[c] += Σ (b[p, c] − kb[c]);  out[channels + c] += Σ (b[p, c] − kb[c]) · (a[p, c] − ka[c]).
  ;; Batch-norm statistics are a = b = x about a value near the mean (so the variance does not
  ;; cancel); its gradient sums a = x about the mean and b = dy about 0.
  (func (export "centeredSums")
    (param $a i32) (param $ka i32) (param $b i32) (param $kb i32) (param $pixels i32) (param $channels i32) (param $out i32)
    (local $p0 i32) (local $p1 i32) (local $c i32) (local $at i32) (local $end i32) (local $stride i32)
    (local $centeredA v128) (local $centeredB v128) (local $offsetA v128) (local $offsetB v128) (local $sum v128) (local $sumProduct v128)
    (local.set $stride (i32.shl (local.get $channels) (i32.const 2)))
    (block $done
      (loop $blocks
        (br_if $done (i32.ge_u (local.get $p0) (local.get $pixels)))
        (local.set $p1 (call $blockEnd (local.get $p0) (local.get $pixels)))
        (local.set $c (i32.const 0))
        (loop $groups
          (local.set $offsetA (v128.load (i32.add (local.get $ka) (i32.shl (local.get $c) (i32.const 2)))))
          (local.set $offsetB (v128.load (i32.add (local.get $kb) (i32.shl (local.get $c) (i32.const 2)))))
          (local.set $sum (v128.const i32x4 0 0 0 0))
          (local.set $sumProduct (v128.const i32x4 0 0 0 0))
          ;; $at is the offset shared by a and b.
          (local.set $at (i32.shl (i32.add (i32.mul (local.get $p0) (local.get $channels)) (local.get $c)) (i32.const 2)))
          (local.set $end (i32.shl (i32.add (i32.mul (local.get $p1) (local.get $channels)) (local.get $c)) (i32.const 2)))
          (loop $pixel
            (local.set $centeredA (f32x4.sub (v128.load (i32.add (local.get $a) (local.get $at))) (local.get $offsetA)))
            (local.set $centeredB (f32x4.sub (v128.load (i32.add (local.get $b) (local.get $at))) (local.get $offsetB)))
            (local.set $sum (f32x4.add (local.get $sum) (local.get $centeredB)))
            (local.set $sumProduct (f32x4.add (local.get $sumProduct) (f32x4.mul (local.get $centeredB) (local.get $centeredA))))
            (local.set $at (i32.add (local.get $at) (local.get $stride)))
            (br_if $pixel (i32.lt_u (local.get $at) (local.get $end))))
          (call $accumulate (i32.add (local.get $out) (i32.shl (local.get $c) (i32.const 3))) (local.get $sum))
          (call $accumulate
            (i32.add (local.get $out) (i32.shl (i32.add (local.get $channels) (local.get $c)) (i32.const 3)))
            (local.get $sumProduct))
          (local.set $c (i32.add (local.get $c) (i32.const 4)))
          (br_if $groups (i32.lt_u (local.get $c) (local.get $channels))))
        (local.set $p0 (local.get $p1))
        (br $blocks))))

  ;; out[p, c] = x[p, c] · scale[c] + shift[c], with params = [scale | shift] (f32, channels each).
  (func (export "channelAffine") (param $out i32) (param $x i32) (param $params i32) (param $pixels i32) (param $channels i32)
    (local $row i32) (local $end i32) (local $rowBytes i32) (local $c i32) (local $shift i32)
    (if (i32.eqz (local.get $pixels)) (then (return)))
    (local.set $rowBytes (i32.shl (local.get $channels) (i32.const 2)))
    (local.set $end (i32.mul (local.get $pixels) (local.get $rowBytes)))
    (local.set $shift (i32.add (local.get $params) (local.get $rowBytes)))
    (loop $pixel
      (local.set $c (i32.const 0))
      (loop $groups
        (v128.store (i32.add (local.get $out) (i32.add (local.get $row) (local.get $c)))
          (f32x4.add
            (f32x4.mul
              (v128.load (i32.add (local.get $x) (i32.add (local.get $row) (local.get $c))))
              (v128.load (i32.add (local.get $params) (local.get $c))))
            (v128.load (i32.add (local.get $shift) (local.get $c)))))
        (local.set $c (i32.add (local.get $c) (i32.const 16)))
        (br_if $groups (i32.lt_u (local.get $c) (local.get $rowBytes))))
      (local.set $row (i32.add (local.get $row) (local.get $rowBytes)))
      (br_if $pixel (i32.lt_u (local.get $row) (local.get $end)))))

  ;; out[p, c] = a[c] · dy[p, c] + b[c] · x[p, c] + k[c], with params = [a | b | k].
  (func (export "gradAffine") (param $out i32) (param $x i32) (param $dy i32) (param $params i32) (param $pixels i32) (param $channels i32)
    (local $row i32) (local $end i32) (local $rowBytes i32) (local $c i32) (local $at i32) (local $b i32) (local $k i32)
    (if (i32.eqz (local.get $pixels)) (then (return)))
    (local.set $rowBytes (i32.shl (local.get $channels) (i32.const 2)))
    (local.set $end (i32.mul (local.get $pixels) (local.get $rowBytes)))
    (local.set $b (i32.add (local.get $params) (local.get $rowBytes)))
    (local.set $k (i32.add (local.get $b) (local.get $rowBytes)))
    (loop $pixel
      (local.set $c (i32.const 0))
      (loop $groups
        (local.set $at (i32.add (local.get $row) (local.get $c)))
        (v128.store (i32.add (local.get $out) (local.get $at))
          (f32x4.add
            (f32x4.add
              (f32x4.mul (v128.load (i32.add (local.get $dy) (local.get $at))) (v128.load (i32.add (local.get $params) (local.get $c))))
              (f32x4.mul (v128.load (i32.add (local.get $x) (local.get $at))) (v128.load (i32.add (local.get $b) (local.get $c)))))
            (v128.load (i32.add (local.get $k) (local.get $c)))))
        (local.set $c (i32.add (local.get $c) (i32.const 16)))
        (br_if $groups (i32.lt_u (local.get $c) (local.get $rowBytes))))
      (local.set $row (i32.add (local.get $row) (local.get $rowBytes)))
      (br_if $pixel (i32.lt_u (local.get $row) (local.get $end)))))

  ;; out[i] = x[i] > 0 ? dy[i] : 0 for n floats (n a multiple of 4): the ReLU gradient.
  (func (export "reluGrad") (param $out i32) (param $x i32) (param $dy i32) (param $n i32)
    (local $at i32) (local $end i32)
    (if (i32.eqz (local.get $n)) (then (return)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (loop $groups
      (v128.store (i32.add (local.get $out) (local.get $at))
        (v128.bitselect
          (v128.load (i32.add (local.get $dy) (local.get $at)))
          (v128.const i32x4 0 0 0 0)
          (f32x4.gt (v128.load (i32.add (local.get $x) (local.get $at))) (v128.const i32x4 0 0 0 0))))
      (local.set $at (i32.add (local.get $at) (i32.const 16)))
      (br_if $groups (i32.lt_u (local.get $at) (local.get $end)))))

  ;; out = x <= 0 ? +0 : x (NaN stays NaN, as the stock cpu Relu), n floats (a multiple of 4).
  (func (export "relu") (param $out i32) (param $x i32) (param $n i32)
    (local $at i32) (local $end i32) (local $v v128)
    (if (i32.eqz (local.get $n)) (then (return)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (loop $groups
      (local.set $v (v128.load (i32.add (local.get $x) (local.get $at))))
      (v128.store (i32.add (local.get $out) (local.get $at))
        (v128.andnot (local.get $v) (f32x4.le (local.get $v) (v128.const i32x4 0 0 0 0))))
      (local.set $at (i32.add (local.get $at) (i32.const 16)))
      (br_if $groups (i32.lt_u (local.get $at) (local.get $end)))))

  ;; The rows of im2col: for each output pixel (b, oh, ow) of the images, its kH × kW × channels
  ;; window of a padded grid [images, h, w, channels] is one row of cols, kH runs of kW · channels
  ;; floats. $toGrid = 0 copies the windows into the rows (im2col); $toGrid = 1 adds each row back
  ;; into its window of the grid (col2im; channels a multiple of 4).
  (func (export "patchRows") (param $toGrid i32) (param $grid i32) (param $cols i32) (param $images i32) (param $outH i32) (param $outW i32)
    (param $kH i32) (param $kW i32) (param $h i32) (param $w i32) (param $channels i32)
    (local $b i32) (local $oh i32) (local $ow i32) (local $i i32) (local $k i32) (local $at i32) (local $runBytes i32) (local $rowBytes i32)
    (local.set $runBytes (i32.shl (i32.mul (local.get $kW) (local.get $channels)) (i32.const 2)))
    (local.set $rowBytes (i32.shl (i32.mul (local.get $w) (local.get $channels)) (i32.const 2)))
    (block $batchesDone (loop $batches
      (br_if $batchesDone (i32.ge_u (local.get $b) (local.get $images)))
      (local.set $oh (i32.const 0))
      (block $rowsDone (loop $rows
        (br_if $rowsDone (i32.ge_u (local.get $oh) (local.get $outH)))
        (local.set $ow (i32.const 0))
        (block $colsDone (loop $cols
          (br_if $colsDone (i32.ge_u (local.get $ow) (local.get $outW)))
          ;; the window's top-left pixel in the grid
          (local.set $at (i32.add (local.get $grid)
            (i32.shl
              (i32.mul
                (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $h)) (local.get $oh)) (local.get $w)) (local.get $ow))
                (local.get $channels))
              (i32.const 2))))
          (local.set $i (i32.const 0))
          (block $windowDone (loop $window
            (br_if $windowDone (i32.ge_u (local.get $i) (local.get $kH)))
            (if (local.get $toGrid)
              (then
                (local.set $k (i32.const 0))
                (loop $run
                  (v128.store (i32.add (local.get $at) (local.get $k))
                    (f32x4.add
                      (v128.load (i32.add (local.get $at) (local.get $k)))
                      (v128.load (i32.add (local.get $cols) (local.get $k)))))
                  (local.set $k (i32.add (local.get $k) (i32.const 16)))
                  (br_if $run (i32.lt_u (local.get $k) (local.get $runBytes)))))
              (else (memory.copy (local.get $cols) (local.get $at) (local.get $runBytes))))
            (local.set $cols (i32.add (local.get $cols) (local.get $runBytes)))
            (local.set $at (i32.add (local.get $at) (local.get $rowBytes)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $window)))
          (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
          (br $cols)))
        (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
        (br $rows)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $batches))))

  ;; The pooling gradients, dx [batch, inH, inW, channels] from dy [batch, outH, outW, channels].
  ;; Max ($isMax = 1): each window's dy goes to the first maximum of x in it (row-major, strictly
  ;; greater wins; a window of NaN or −∞ only passes nothing). Average ($isMax = 0; x unused): dy /
  ;; (filterH · filterW) to every pixel of the window (the full area, as tfjs divides by it even
  ;; where padding cuts the window). Both add, so windows may overlap.
  (func (export "poolGrad")
    (param $isMax i32) (param $dx i32) (param $x i32) (param $dy i32)
    (param $batch i32) (param $inH i32) (param $inW i32) (param $channels i32) (param $outH i32) (param $outW i32)
    (param $strideH i32) (param $strideW i32) (param $filterH i32) (param $filterW i32) (param $padTop i32) (param $padLeft i32)
    (local $b i32) (local $oh i32) (local $ow i32) (local $r i32) (local $q i32) (local $c i32)
    (local $r0 i32) (local $r1 i32) (local $q0 i32) (local $q1 i32)
    (local $rowBytes i32) (local $imageRows i32) (local $at i32) (local $dyAt i32)
    (local $v v128) (local $max v128) (local $index v128) (local $greater v128) (local $g v128)
    (local $scale v128) (local $share v128)
    (local.set $rowBytes (i32.shl (local.get $channels) (i32.const 2)))
    (local.set $scale (f32x4.splat (f32.div (f32.const 1)
      (f32.convert_i32_s (i32.mul (local.get $filterH) (local.get $filterW))))))
    (memory.fill (local.get $dx) (i32.const 0)
      (i32.mul (i32.mul (i32.mul (local.get $batch) (local.get $inH)) (local.get $inW)) (local.get $rowBytes)))
    (local.set $dyAt (local.get $dy))
    (block $batchesDone (loop $batches
      (br_if $batchesDone (i32.ge_u (local.get $b) (local.get $batch)))
      (local.set $imageRows (i32.mul (local.get $b) (local.get $inH)))
      (local.set $oh (i32.const 0))
      (block $rowsDone (loop $rows
        (br_if $rowsDone (i32.ge_u (local.get $oh) (local.get $outH)))
        (local.set $r0 (call $windowStart (local.get $oh) (local.get $strideH) (local.get $padTop)))
        (local.set $r1 (call $windowEnd (local.get $oh) (local.get $strideH) (local.get $padTop) (local.get $filterH) (local.get $inH)))
        (local.set $ow (i32.const 0))
        (block $colsDone (loop $cols
          (br_if $colsDone (i32.ge_u (local.get $ow) (local.get $outW)))
          (local.set $q0 (call $windowStart (local.get $ow) (local.get $strideW) (local.get $padLeft)))
          (local.set $q1 (call $windowEnd (local.get $ow) (local.get $strideW) (local.get $padLeft) (local.get $filterW) (local.get $inW)))
          (local.set $c (i32.const 0))
          (loop $groups
            (local.set $g (v128.load (i32.add (local.get $dyAt) (local.get $c))))
            (local.set $max (v128.const f32x4 -inf -inf -inf -inf))
            (local.set $index (v128.const i32x4 -1 -1 -1 -1))
            (local.set $share (f32x4.mul (local.get $g) (local.get $scale)))
            (local.set $r (local.get $r0))
            (block $windowRowsDone (loop $windowRows
              (br_if $windowRowsDone (i32.ge_s (local.get $r) (local.get $r1)))
              (local.set $q (local.get $q0))
              (block $windowColsDone (loop $windowCols
                (br_if $windowColsDone (i32.ge_s (local.get $q) (local.get $q1)))
                ;; byte offset of [b, r, q, c] in x and dx
                (local.set $at (i32.add
                  (i32.mul (i32.add (i32.mul (i32.add (local.get $imageRows) (local.get $r)) (local.get $inW)) (local.get $q)) (local.get $rowBytes))
                  (local.get $c)))
                (if (local.get $isMax)
                  (then
                    (local.set $v (v128.load (i32.add (local.get $x) (local.get $at))))
                    (local.set $greater (f32x4.gt (local.get $v) (local.get $max)))
                    (local.set $max (v128.bitselect (local.get $v) (local.get $max) (local.get $greater)))
                    (local.set $index (v128.bitselect
                      (i32x4.add (i32x4.splat (local.get $at)) (v128.const i32x4 0 4 8 12))
                      (local.get $index)
                      (local.get $greater))))
                  (else
                    (local.set $at (i32.add (local.get $dx) (local.get $at)))
                    (v128.store (local.get $at) (f32x4.add (v128.load (local.get $at)) (local.get $share)))))
                (local.set $q (i32.add (local.get $q) (i32.const 1)))
                (br $windowCols)))
              (local.set $r (i32.add (local.get $r) (i32.const 1)))
              (br $windowRows)))
            (if (local.get $isMax) (then
              (call $addAt (local.get $dx) (i32x4.extract_lane 0 (local.get $index)) (f32x4.extract_lane 0 (local.get $g)))
              (call $addAt (local.get $dx) (i32x4.extract_lane 1 (local.get $index)) (f32x4.extract_lane 1 (local.get $g)))
              (call $addAt (local.get $dx) (i32x4.extract_lane 2 (local.get $index)) (f32x4.extract_lane 2 (local.get $g)))
              (call $addAt (local.get $dx) (i32x4.extract_lane 3 (local.get $index)) (f32x4.extract_lane 3 (local.get $g)))))
            (local.set $c (i32.add (local.get $c) (i32.const 16)))
            (br_if $groups (i32.lt_u (local.get $c) (local.get $rowBytes))))
          (local.set $dyAt (i32.add (local.get $dyAt) (local.get $rowBytes)))
          (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
          (br $cols)))
        (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
        (br $rows)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $batches))))
;; The max-pooling gradient when the windows tile the input without overlap or padding (stride =
  ;; window, every window inside the image, as 2 × 2 'valid' pooling): the same result as poolGrad
  ;; ($isMax = 1), but each input pixel is written once with a vector store instead of scattered
  ;; adds: per lane group the window's maximum first, then each pixel, in row-major order, gets dy
  ;; where it is the first one equal to that maximum (a maximum of −∞, or NaN only, passes
  ;; nothing, as there), 0 elsewhere. Pixels outside every window are 0.
  (func (export "maxPoolGradDisjoint")
    (param $dx i32) (param $x i32) (param $dy i32)
    (param $batch i32) (param $inH i32) (param $inW i32) (param $channels i32) (param $outH i32) (param $outW i32)
    (param $filterH i32) (param $filterW i32)
    (local $b i32) (local $oh i32) (local $ow i32) (local $r i32) (local $q i32) (local $c i32)
    (local $rowBytes i32) (local $corner i32) (local $at i32) (local $dyAt i32)
    (local $v v128) (local $max v128) (local $g v128) (local $pending v128) (local $hit v128)
    (local.set $rowBytes (i32.shl (local.get $channels) (i32.const 2)))
    ;; Zero first only when some pixels lie outside every window; otherwise the windows write all.
    (if (i32.or
          (i32.ne (i32.mul (local.get $outH) (local.get $filterH)) (local.get $inH))
          (i32.ne (i32.mul (local.get $outW) (local.get $filterW)) (local.get $inW)))
      (then (memory.fill (local.get $dx) (i32.const 0)
        (i32.mul (i32.mul (i32.mul (local.get $batch) (local.get $inH)) (local.get $inW)) (local.get $rowBytes)))))
    (local.set $dyAt (local.get $dy))
    (block $batchesDone (loop $batches
      (br_if $batchesDone (i32.ge_u (local.get $b) (local.get $batch)))
      (local.set $oh (i32.const 0))
      (block $rowsDone (loop $rows
        (br_if $rowsDone (i32.ge_u (local.get $oh) (local.get $outH)))
        (local.set $ow (i32.const 0))
        (block $colsDone (loop $cols
          (br_if $colsDone (i32.ge_u (local.get $ow) (local.get $outW)))
          ;; byte offset of the window's top-left pixel [b, oh · filterH, ow · filterW, 0]
          (local.set $corner (i32.mul
            (i32.add
              (i32.mul (i32.add (i32.mul (local.get $b) (local.get $inH)) (i32.mul (local.get $oh) (local.get $filterH))) (local.get $inW))
              (i32.mul (local.get $ow) (local.get $filterW)))
            (local.get $rowBytes)))
          (local.set $c (i32.const 0))
          (loop $groups
            (local.set $max (v128.const f32x4 -inf -inf -inf -inf))
            (local.set $r (i32.const 0))
            (loop $maxRows
              (local.set $q (i32.const 0))
              (loop $maxCols
                (local.set $at (i32.add (i32.add (local.get $corner) (local.get $c))
                  (i32.mul (i32.add (i32.mul (local.get $r) (local.get $inW)) (local.get $q)) (local.get $rowBytes))))
                (local.set $v (v128.load (i32.add (local.get $x) (local.get $at))))
                (local.set $max (v128.bitselect (local.get $v) (local.get $max) (f32x4.gt (local.get $v) (local.get $max))))
                (local.set $q (i32.add (local.get $q) (i32.const 1)))
                (br_if $maxCols (i32.lt_u (local.get $q) (local.get $filterW))))
              (local.set $r (i32.add (local.get $r) (i32.const 1)))
              (br_if $maxRows (i32.lt_u (local.get $r) (local.get $filterH))))
            (local.set $g (v128.load (i32.add (local.get $dyAt) (local.get $c))))
            (local.set $pending (f32x4.gt (local.get $max) (v128.const f32x4 -inf -inf -inf -inf)))
            (local.set $r (i32.const 0))
            (loop $passRows
              (local.set $q (i32.const 0))
              (loop $passCols
                (local.set $at (i32.add (i32.add (local.get $corner) (local.get $c))
                  (i32.mul (i32.add (i32.mul (local.get $r) (local.get $inW)) (local.get $q)) (local.get $rowBytes))))
                (local.set $hit (v128.and (local.get $pending)
                  (f32x4.eq (v128.load (i32.add (local.get $x) (local.get $at))) (local.get $max))))
                (v128.store (i32.add (local.get $dx) (local.get $at)) (v128.and (local.get $g) (local.get $hit)))
                (local.set $pending (v128.andnot (local.get $pending) (local.get $hit)))
                (local.set $q (i32.add (local.get $q) (i32.const 1)))
                (br_if $passCols (i32.lt_u (local.get $q) (local.get $filterW))))
              (local.set $r (i32.add (local.get $r) (i32.const 1)))
              (br_if $passRows (i32.lt_u (local.get $r) (local.get $filterH))))
            (local.set $c (i32.add (local.get $c) (i32.const 16)))
            (br_if $groups (i32.lt_u (local.get $c) (local.get $rowBytes))))
          (local.set $dyAt (i32.add (local.get $dyAt) (local.get $rowBytes)))
          (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
          (br $cols)))
        (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
        (br $rows)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $batches))))
  ;; One Adam step over n floats (a multiple of 4) in float32, the rule and order of
  ;; training/optimizers.ts: g' = g + p·l2; m' = m·b1 + g'·c1; v' = v·b2 + g'²·c2;
  ;; p' = p·keep − (m' / (√v' / correction2 + eps))·stepSize. Adam: keep 1, l2 its decay; AdamW:
  ;; keep 1 − lr·decay, l2 0 (then g + p·0 = g).
  (func (export "adamStep")
    (param $p i32) (param $g i32) (param $m i32) (param $v i32)
    (param $pOut i32) (param $mOut i32) (param $vOut i32) (param $n i32)
    (param $keep f32) (param $l2 f32) (param $b1 f32) (param $c1 f32) (param $b2 f32) (param $c2 f32)
    (param $correction2 f32) (param $stepSize f32) (param $eps f32)
    (local $at i32) (local $end i32) (local $pi v128) (local $gi v128) (local $mi v128) (local $vi v128)
    (local $keep4 v128) (local $l24 v128) (local $b14 v128) (local $c14 v128) (local $b24 v128) (local $c24 v128)
    (local $correction24 v128) (local $stepSize4 v128) (local $eps4 v128)
    (if (i32.eqz (local.get $n)) (then (return)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (local.set $keep4 (f32x4.splat (local.get $keep)))
    (local.set $l24 (f32x4.splat (local.get $l2)))
    (local.set $b14 (f32x4.splat (local.get $b1)))
    (local.set $c14 (f32x4.splat (local.get $c1)))
    (local.set $b24 (f32x4.splat (local.get $b2)))
    (local.set $c24 (f32x4.splat (local.get $c2)))
    (local.set $correction24 (f32x4.splat (local.get $correction2)))
    (local.set $stepSize4 (f32x4.splat (local.get $stepSize)))
    (local.set $eps4 (f32x4.splat (local.get $eps)))
    (loop $groups
      (local.set $pi (v128.load (i32.add (local.get $p) (local.get $at))))
      (local.set $gi
        (f32x4.add (v128.load (i32.add (local.get $g) (local.get $at))) (f32x4.mul (local.get $pi) (local.get $l24))))
      (local.set $mi
        (f32x4.add
          (f32x4.mul (v128.load (i32.add (local.get $m) (local.get $at))) (local.get $b14))
          (f32x4.mul (local.get $gi) (local.get $c14))))
      (local.set $vi
        (f32x4.add
          (f32x4.mul (v128.load (i32.add (local.get $v) (local.get $at))) (local.get $b24))
          (f32x4.mul (f32x4.mul (local.get $gi) (local.get $gi)) (local.get $c24))))
      (v128.store (i32.add (local.get $mOut) (local.get $at)) (local.get $mi))
      (v128.store (i32.add (local.get $vOut) (local.get $at)) (local.get $vi))
      (v128.store (i32.add (local.get $pOut) (local.get $at))
        (f32x4.sub
          (f32x4.mul (local.get $pi) (local.get $keep4))
          (f32x4.mul
            (f32x4.div (local.get $mi)
              (f32x4.add (f32x4.div (f32x4.sqrt (local.get $vi)) (local.get $correction24)) (local.get $eps4)))
            (local.get $stepSize4))))
      (local.set $at (i32.add (local.get $at) (i32.const 16)))
      (br_if $groups (i32.lt_u (local.get $at) (local.get $end)))))
)
