/**
 * The MFCC hot path as a small WebAssembly SIMD module, generated here byte by byte (no
 * toolchain, nothing fetched):
 * - melFrames: window → real FFT → |X|² → mel filterbank, frame after frame. Same algorithm as
 *   fft.ts (N-point real FFT as an N/2-point complex radix-4 FFT on bit-reversed input, then the
 *   split step), in float64, each complex number one f64x2.
 * - mfccFrames: power_to_db (a log of its own: wasm has none) and the orthonormal DCT-II.
 * Versus the JavaScript path (mfcc.ts, fft.ts): about 3× less time per clip, and full speed from
 * the first frame (wasm is compiled before it runs, while JavaScript spends the first clip of
 * every worker in the interpreter).
 *
 * The numbers differ from the JavaScript path by rounding only (1e-15 relative in the mel power;
 * test/features/wasm-mel.test.ts compares the two). Where WebAssembly is unavailable, or with
 * SER_WASM_MEL=0, `wasmMel()` returns null and callers use the JavaScript path.
 */

// ---- a minimal WebAssembly encoder ----

/** Bytes as a tree: built without copying, flattened once per section. */
type Code = Part[];
type Part = Code | number;

function uleb(value: number): Code {
  const out: Code = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

function sleb(value: number): Code {
  const out: Code = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    if ((value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

function seq(...parts: Part[]): Code {
  return parts;
}

function flatten(code: Part, out: number[] = []): number[] {
  if (typeof code === 'number') {
    out.push(code);
  } else {
    for (let i = 0; i < code.length; i++) flatten(code[i], out);
  }
  return out;
}

function vec(items: Code[]): Code {
  return seq(uleb(items.length), ...items);
}

/** A length-prefixed run of bytes (section contents, function bodies). */
function sized(body: Code): Code {
  const bytes = flatten(body);
  return seq(uleb(bytes.length), bytes);
}

function section(id: number, body: Code): Code {
  return seq(id, sized(body));
}

const I32 = 0x7f;
const F64 = 0x7c;
const V128 = 0x7b;

// Instructions, in folded form: operands first, then the opcode.
const get = (local: number): Code => seq(0x20, uleb(local));
const set = (local: number, value: Code): Code => seq(value, 0x21, uleb(local));
const i32 = (value: number): Code => seq(0x41, sleb(value));
const add = (a: Code, b: Code): Code => seq(a, b, 0x6a);
const sub = (a: Code, b: Code): Code => seq(a, b, 0x6b);
const mul = (a: Code, b: Code): Code => seq(a, b, 0x6c);
const shl = (a: Code, b: Code): Code => seq(a, b, 0x74);
const ltU = (a: Code, b: Code): Code => seq(a, b, 0x49);
const leU = (a: Code, b: Code): Code => seq(a, b, 0x4d);
const eqz = (a: Code): Code => seq(a, 0x45);
const memarg = (align: number, offset: number): Code => seq(uleb(align), uleb(offset));
const loadI32 = (addr: Code, offset = 0): Code => seq(addr, 0x28, memarg(2, offset));
const loadF64 = (addr: Code, offset = 0): Code => seq(addr, 0x2b, memarg(3, offset));
const storeF64 = (addr: Code, value: Code, offset = 0): Code => seq(addr, value, 0x39, memarg(3, offset));
const fadd = (a: Code, b: Code): Code => seq(a, b, 0xa0);
const fsub = (a: Code, b: Code): Code => seq(a, b, 0xa1);
const fmul = (a: Code, b: Code): Code => seq(a, b, 0xa2);
const fdiv = (a: Code, b: Code): Code => seq(a, b, 0xa3);
const fmax = (a: Code, b: Code): Code => seq(a, b, 0xa5);
const fgt = (a: Code, b: Code): Code => seq(a, b, 0x64);
const fne = (a: Code, b: Code): Code => seq(a, b, 0x62);
const or = (a: Code, b: Code): Code => seq(a, b, 0x72);
const select = (a: Code, b: Code, cond: Code): Code => seq(a, b, cond, 0x1b);
const f64Bits = new Float64Array(2);
const f64Bytes = new Uint8Array(f64Bits.buffer);
function f64c(value: number): Code {
  f64Bits[0] = value;
  const out: Code = [0x44];
  for (let i = 0; i < 8; i++) out.push(f64Bytes[i]);
  return out;
}
function i64c(value: bigint): Code {
  const out: Code = [0x42];
  for (;;) {
    const byte = Number(value & 0x7fn);
    value >>= 7n;
    if ((value === 0n && (byte & 0x40) === 0) || (value === -1n && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}
const i64and = (a: Code, b: Code): Code => seq(a, b, 0x83);
const i64or = (a: Code, b: Code): Code => seq(a, b, 0x84);
const i64shrS = (a: Code, b: Code): Code => seq(a, b, 0x87);
const f64FromI64 = (a: Code): Code => seq(a, 0xb9); // f64.convert_i64_s
const bitsOf = (a: Code): Code => seq(a, 0xbd); // i64.reinterpret_f64
const f64OfBits = (a: Code): Code => seq(a, 0xbf); // f64.reinterpret_i64
const storeF32 = (addr: Code, value: Code): Code => seq(addr, value, 0xb6, 0x38, memarg(2, 0)); // f32.demote_f64, f32.store
const simd = (op: number): Code => seq(0xfd, uleb(op));
const loadV = (addr: Code, offset = 0): Code => seq(addr, simd(0x00), memarg(4, offset));
const storeV = (addr: Code, value: Code, offset = 0): Code => seq(addr, value, simd(0x0b), memarg(4, offset));
/** Two adjacent float32 samples as an f64x2: v128.load64_zero then f64x2.promote_low_f32x4. */
const loadPairF32 = (addr: Code): Code => seq(addr, simd(0x5d), memarg(3, 0), simd(0x5f));
const vadd = (a: Code, b: Code): Code => seq(a, b, simd(0xf0));
const vsub = (a: Code, b: Code): Code => seq(a, b, simd(0xf1));
const vmul = (a: Code, b: Code): Code => seq(a, b, simd(0xf2));
const lane = (v: Code, index: number): Code => seq(v, simd(0x21), index);
const LOW_LANES = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];
const HIGH_LANES = [8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31];
/** [a.lane0, b.lane0] (LOW_LANES) or [a.lane1, b.lane1] (HIGH_LANES). */
const shuffle = (a: Code, b: Code, lanes: number[]): Code => seq(a, b, simd(0x0d), lanes);
/** v128.store64_lane: stores f64 lane `index` of v at addr. */
const storeLane = (addr: Code, v: Code, index: number): Code => seq(addr, v, simd(0x5b), memarg(3, 0), index);
/** [x.im, x.re]: i8x16.shuffle of the two 8-byte halves. */
const swap = (v: Code): Code => seq(v, v, simd(0x0d), [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7]);
function constV(a: number, b: number): Code {
  f64Bits[0] = a;
  f64Bits[1] = b;
  const out: Code = [];
  for (let i = 0; i < 16; i++) out.push(f64Bytes[i]);
  return seq(simd(0x0c), out);
}

/** block { loop { if (!cond) break; body; step; continue } } — body must not branch itself. */
function whileLoop(cond: Code, body: Code, step: Code): Code {
  return seq(0x02, 0x40, 0x03, 0x40, eqz(cond), 0x0d, 1, body, step, 0x0c, 0, 0x0b, 0x0b);
}

function ifThen(cond: Code, then: Code, otherwise: Code): Code {
  return seq(cond, 0x04, 0x40, then, 0x05, otherwise, 0x0b);
}

// ---- the kernel ----

// Parameters of melFrames (all i32; addresses are byte offsets into the module's memory).
const P_SAMPLES = 0; // float32 samples, zero-padded by nFft/2 at both ends (centred frames)
const P_FRAMES = 1;
const P_HOP_BYTES = 2; // hopLength * 4
const P_HALF = 3; // n = nFft / 2, the complex FFT size
const P_GATHER = 4; // i32 per slot: byte offset in the frame of the sample pair packed into that slot
const P_WINDOW = 5; // f64x2 per slot: the window at that sample pair
const P_TWIDDLES = 6; // per radix-4 stage, per j: 6 f64x2 (see stageTwiddles)
const P_WORK = 7; // n f64x2: the complex signal, transformed in place
const P_SPLIT = 8; // 2 f64x2 per bin k <= n/2: the split-step twiddle W^k as [wr, wr], [-wi, wi]
const P_POWER = 9; // n + 1 f64: |X[k]|²
const P_BANDS = 10; // 2 i32 per band: first bin, number of weights
const P_WEIGHTS = 11; // f64 weights, band after band
const P_MELS = 12;
const P_OUT = 13; // frames × nMels f64, frame-major
const P_RADIX2_FIRST = 14; // log2(n) is odd: radix-2 first stage
const PARAMS = 15;

// i32 locals
const L_T = PARAMS;
const L_FRAME = L_T + 1;
const L_I = L_T + 2;
const L_GP = L_T + 3;
const L_WP = L_T + 4;
const L_ZP = L_T + 5;
const L_END = L_T + 6;
const L_S = L_T + 7;
const L_STRIDE = L_T + 8; // s * 16 bytes
const L_BASE = L_T + 9;
const L_J = L_T + 10;
const L_TW = L_T + 11;
const L_TWP = L_T + 12;
const L_P = L_T + 13;
const L_Q = L_T + 14;
const L_M = L_T + 15;
const L_OUTP = L_T + 16;
const L_K = L_T + 17;
const L_COUNT = L_T + 18;
const L_STRIDE2 = L_T + 19;
const L_STRIDE3 = L_T + 20;
const I32_LOCALS = 21;
// v128 locals
const V_A = L_T + I32_LOCALS;
const V_B = V_A + 1;
const V_C = V_A + 2;
const V_D = V_A + 3;
const V_SAB = V_A + 4;
const V_DAB = V_A + 5;
const V_SCD = V_A + 6;
const V_ROT = V_A + 7;
const V_X = V_A + 8;
const V_TW = V_A + 9; // six: the twiddles of one j (W^j, W^2j, W^3j as A, B pairs)
const V128_LOCALS = 15;
// f64 locals
const F_SUM = V_A + V128_LOCALS;
const F64_LOCALS = 1;

/** x · w for complex x (f64x2) and w given as A = [wr, wr], B = [-wi, wi]: x·A + swap(x)·B (x goes through V_X). */
const cmul = (x: Code, a: Code, b: Code): Code => seq(set(V_X, x), vadd(vmul(get(V_X), a), vmul(swap(get(V_X)), b)));
/** -i · v = [v.im, -v.re], for v a local. */
const timesMinusI = (local: number): Code => vmul(swap(get(local)), constV(1, -1));

/** Radix-4 butterfly of a, b, c, d (in V_A..V_D) into the four addresses base + k·stride. */
function butterflyStore(addr: (k: number) => Code): Code {
  return seq(
    set(V_SAB, vadd(get(V_A), get(V_B))),
    set(V_DAB, vsub(get(V_A), get(V_B))),
    set(V_SCD, vadd(get(V_C), get(V_D))),
    set(V_ROT, vsub(get(V_C), get(V_D))),
    set(V_ROT, timesMinusI(V_ROT)),
    storeV(addr(0), vadd(get(V_SAB), get(V_SCD))),
    storeV(addr(1), vadd(get(V_DAB), get(V_ROT))),
    storeV(addr(2), vsub(get(V_SAB), get(V_SCD))),
    storeV(addr(3), vsub(get(V_DAB), get(V_ROT))),
  );
}

function melFramesBody(): Code {
  const windowed = (k: number): Code =>
    vmul(loadPairF32(add(get(L_FRAME), loadI32(get(L_GP), 4 * k))), loadV(get(L_WP), 16 * k));
  // First stage, fused with gathering and windowing the frame's sample pairs.
  const firstRadix4 = seq(
    set(L_GP, get(P_GATHER)),
    set(L_WP, get(P_WINDOW)),
    set(L_ZP, get(P_WORK)),
    set(L_END, add(get(P_WORK), shl(get(P_HALF), i32(4)))),
    whileLoop(
      ltU(get(L_ZP), get(L_END)),
      seq(
        set(V_A, windowed(0)),
        set(V_B, windowed(1)),
        set(V_C, windowed(2)),
        set(V_D, windowed(3)),
        butterflyStore((k) => add(get(L_ZP), i32(16 * k))),
      ),
      seq(set(L_GP, add(get(L_GP), i32(16))), set(L_WP, add(get(L_WP), i32(64))), set(L_ZP, add(get(L_ZP), i32(64)))),
    ),
    set(L_S, i32(4)),
  );
  const firstRadix2 = seq(
    set(L_GP, get(P_GATHER)),
    set(L_WP, get(P_WINDOW)),
    set(L_ZP, get(P_WORK)),
    set(L_END, add(get(P_WORK), shl(get(P_HALF), i32(4)))),
    whileLoop(
      ltU(get(L_ZP), get(L_END)),
      seq(
        set(V_A, windowed(0)),
        set(V_B, windowed(1)),
        storeV(get(L_ZP), vadd(get(V_A), get(V_B))),
        storeV(get(L_ZP), vsub(get(V_A), get(V_B)), 16),
      ),
      seq(set(L_GP, add(get(L_GP), i32(8))), set(L_WP, add(get(L_WP), i32(32))), set(L_ZP, add(get(L_ZP), i32(32)))),
    ),
    set(L_S, i32(2)),
  );

  // Radix-4 stages: blocks of length s hold the DFTs of residues 0, 2, 1, 3 (mod 4) of their merge.
  // j outer, groups inner: the six twiddle vectors of a j are loaded once per stage.
  const at = (k: number): Code => (k === 0 ? get(L_P) : add(get(L_P), get([L_STRIDE, L_STRIDE2, L_STRIDE3][k - 1])));
  const tw = (k: number): Code => get(V_TW + k);
  const stages = seq(
    set(L_TW, get(P_TWIDDLES)),
    set(L_END, add(get(P_WORK), shl(get(P_HALF), i32(4)))),
    whileLoop(
      ltU(get(L_S), get(P_HALF)),
      seq(
        set(L_STRIDE, shl(get(L_S), i32(4))),
        set(L_STRIDE2, shl(get(L_S), i32(5))),
        set(L_STRIDE3, mul(get(L_S), i32(48))),
        set(L_BASE, shl(get(L_S), i32(6))), // span in bytes
        set(L_J, i32(0)),
        set(L_TWP, get(L_TW)),
        whileLoop(
          ltU(get(L_J), get(L_S)),
          seq(
            ...[0, 1, 2, 3, 4, 5].map((k) => set(V_TW + k, loadV(get(L_TWP), 16 * k))),
            set(L_P, add(get(P_WORK), shl(get(L_J), i32(4)))),
            whileLoop(
              ltU(get(L_P), get(L_END)),
              seq(
                set(V_A, loadV(at(0))),
                // b = W^{2j} F2 (second block), c = W^j F1 (third), d = W^{3j} F3 (fourth)
                set(V_B, cmul(loadV(at(1)), tw(2), tw(3))),
                set(V_C, cmul(loadV(at(2)), tw(0), tw(1))),
                set(V_D, cmul(loadV(at(3)), tw(4), tw(5))),
                butterflyStore(at),
              ),
              set(L_P, add(get(L_P), get(L_BASE))),
            ),
          ),
          seq(set(L_J, add(get(L_J), i32(1))), set(L_TWP, add(get(L_TWP), i32(96)))),
        ),
        set(L_TW, add(get(L_TW), mul(get(L_S), i32(96)))),
      ),
      set(L_S, shl(get(L_S), i32(2))),
    ),
  );

  // Split step fused with |X|²: with a = Z[k], b = conj(Z[n-k]): E = (a + b)/2, O = -i (a - b)/2,
  // X[k] = E + W^k O and X[n-k] = conj(E - W^k O).
  const split = seq(
    set(V_A, loadV(get(P_WORK))),
    storeF64(get(P_POWER), fmul(fadd(lane(get(V_A), 0), lane(get(V_A), 1)), fadd(lane(get(V_A), 0), lane(get(V_A), 1)))),
    storeF64(
      add(get(P_POWER), shl(get(P_HALF), i32(3))),
      fmul(fsub(lane(get(V_A), 0), lane(get(V_A), 1)), fsub(lane(get(V_A), 0), lane(get(V_A), 1))),
    ),
    // Unscaled: a + b and -i (a - b) are 2E and 2O, so the squares come out 4× (exactly: ×0.25
    // is a power of two). Pointers: L_P = &Z[k], L_Q = &Z[n-k], L_GP = &power[k], L_WP = &power[n-k].
    set(L_P, add(get(P_WORK), i32(16))),
    set(L_Q, add(get(P_WORK), shl(sub(get(P_HALF), i32(1)), i32(4)))),
    set(L_GP, add(get(P_POWER), i32(8))),
    set(L_WP, add(get(P_POWER), shl(sub(get(P_HALF), i32(1)), i32(3)))),
    set(L_TWP, add(get(P_SPLIT), i32(32))),
    whileLoop(
      leU(get(L_P), get(L_Q)),
      seq(
        set(V_A, loadV(get(L_P))),
        set(V_B, vmul(loadV(get(L_Q)), constV(1, -1))),
        set(V_SAB, vadd(get(V_A), get(V_B))),
        set(V_ROT, vsub(get(V_A), get(V_B))),
        set(V_ROT, cmul(vmul(swap(get(V_ROT)), constV(1, -1)), loadV(get(L_TWP)), loadV(get(L_TWP), 16))),
        set(V_C, vadd(get(V_SAB), get(V_ROT))),
        set(V_D, vsub(get(V_SAB), get(V_ROT))),
        set(V_C, vmul(get(V_C), get(V_C))),
        set(V_D, vmul(get(V_D), get(V_D))),
        // [|X[k]|², |X[n-k]|²] = ([re², re²'] + [im², im²']) / 4
        set(V_C, vmul(vadd(shuffle(get(V_C), get(V_D), LOW_LANES), shuffle(get(V_C), get(V_D), HIGH_LANES)), constV(0.25, 0.25))),
        storeLane(get(L_GP), get(V_C), 0),
        storeLane(get(L_WP), get(V_C), 1),
      ),
      seq(
        set(L_P, add(get(L_P), i32(16))),
        set(L_Q, sub(get(L_Q), i32(16))),
        set(L_GP, add(get(L_GP), i32(8))),
        set(L_WP, sub(get(L_WP), i32(8))),
        set(L_TWP, add(get(L_TWP), i32(32))),
      ),
    ),
  );

  // Mel bands: out[t][m] = Σ weights · power over the band's run of bins.
  const mel = seq(
    set(L_M, i32(0)),
    set(L_GP, get(P_BANDS)),
    set(L_WP, get(P_WEIGHTS)),
    whileLoop(
      ltU(get(L_M), get(P_MELS)),
      seq(
        set(L_P, add(get(P_POWER), shl(loadI32(get(L_GP)), i32(3)))),
        set(L_COUNT, loadI32(get(L_GP), 4)),
        // Two weights at a time into the lanes of V_A, then the odd one out.
        set(L_END, add(get(L_WP), shl(get(L_COUNT), i32(3)))),
        set(V_A, constV(0, 0)),
        whileLoop(
          ltU(add(get(L_WP), i32(8)), get(L_END)),
          set(V_A, vadd(get(V_A), vmul(loadV(get(L_WP)), loadV(get(L_P))))),
          seq(set(L_WP, add(get(L_WP), i32(16))), set(L_P, add(get(L_P), i32(16)))),
        ),
        set(F_SUM, fadd(lane(get(V_A), 0), lane(get(V_A), 1))),
        whileLoop(
          ltU(get(L_WP), get(L_END)),
          set(F_SUM, fadd(get(F_SUM), fmul(loadF64(get(L_WP)), loadF64(get(L_P))))),
          seq(set(L_WP, add(get(L_WP), i32(8))), set(L_P, add(get(L_P), i32(8)))),
        ),
        storeF64(get(L_OUTP), get(F_SUM)),
      ),
      seq(set(L_M, add(get(L_M), i32(1))), set(L_GP, add(get(L_GP), i32(8))), set(L_OUTP, add(get(L_OUTP), i32(8)))),
    ),
  );

  return seq(
    set(L_T, i32(0)),
    set(L_FRAME, get(P_SAMPLES)),
    set(L_OUTP, get(P_OUT)),
    whileLoop(
      ltU(get(L_T), get(P_FRAMES)),
      seq(ifThen(get(P_RADIX2_FIRST), firstRadix2, firstRadix4), stages, split, mel),
      seq(set(L_T, add(get(L_T), i32(1))), set(L_FRAME, add(get(L_FRAME), get(P_HOP_BYTES)))),
    ),
  );
}

// ---- power_to_db and the DCT: mfccFrames ----

// Parameters: 9 i32, then 3 f64.
const Q_MEL = 0; // frames × nMels f64 mel power, frame-major
const Q_DB = 1; // frames × nMels f64: dB out
const Q_COUNT = 2; // frames × nMels
const Q_MELS = 3;
const Q_DCT = 4; // nMfcc × nMels/2 f64: the first half of each row of the orthonormal DCT-II matrix
const Q_MFCC = 5;
const Q_OUT = 6; // float32 [nMfcc][columns]
const Q_COLUMNS = 7;
const Q_USED = 8; // frames to transform
const Q_FOLD = 9; // nMels f64 scratch: a frame's dB folded about its middle
const Q_I32_PARAMS = 10;
const Q_AMIN = 10; // f64 from here on
const Q_REF_DB = 11;
const Q_TOP_DB = 12;
const Q_PARAMS = 13;
// locals
const M_P = Q_PARAMS; // i32
const M_END = M_P + 1;
const M_BAD = M_P + 2;
const M_T = M_P + 3;
const M_K = M_P + 4;
const M_ROW = M_P + 5;
const M_D = M_P + 6;
const M_Q = M_P + 7;
const M_I32 = 8;
const M_BITS = M_P + M_I32; // i64
const M_I64 = 1;
const M_X = M_BITS + M_I64; // f64
const M_E = M_X + 1;
const M_M = M_X + 2;
const M_S = M_X + 3;
const M_Z = M_X + 4;
const M_MAX = M_X + 5;
const M_ACC = M_X + 6;
const M_F64 = 7;
const M_V = M_X + M_F64; // v128
const M_V2 = M_V + 1;
const M_A = M_V + 2;
const M_V128 = 3;

const LN2 = Math.LN2;
const DB_PER_NEPER = 10 / Math.LN10;

/**
 * ln(x) for a positive normal x: x = 2^e · m with m in [√½, √2), ln m = 2·atanh(s) with
 * s = (m − 1)/(m + 1), |s| < 0.172, from its series to s^15 (relative error below 1e-14).
 * Leaves the result on the stack; uses M_BITS, M_E, M_M, M_S, M_Z.
 */
function lnOf(x: Code): Code {
  const series = [1 / 15, 1 / 13, 1 / 11, 1 / 9, 1 / 7, 1 / 5, 1 / 3, 1];
  let poly: Code = f64c(series[0]);
  for (let i = 1; i < series.length; i++) poly = fadd(fmul(poly, get(M_Z)), f64c(series[i]));
  return seq(
    set(M_BITS, bitsOf(x)),
    set(M_E, f64FromI64(sub64(i64shrS(get(M_BITS), i64c(52n)), i64c(1023n)))),
    set(M_M, f64OfBits(i64or(i64and(get(M_BITS), i64c(0xfffffffffffffn)), i64c(0x3ff0000000000000n)))),
    // m in [1, 2): above √2, halve it and count one more power of two
    set(M_E, select(fadd(get(M_E), f64c(1)), get(M_E), fgt(get(M_M), f64c(Math.SQRT2)))),
    set(M_M, select(fmul(get(M_M), f64c(0.5)), get(M_M), fgt(get(M_M), f64c(Math.SQRT2)))),
    set(M_S, fdiv(fsub(get(M_M), f64c(1)), fadd(get(M_M), f64c(1)))),
    set(M_Z, fmul(get(M_S), get(M_S))),
    fadd(fmul(get(M_E), f64c(LN2)), fmul(fmul(f64c(2), get(M_S)), poly)),
  );
}
const sub64 = (a: Code, b: Code): Code => seq(a, b, 0x7d);

function mfccFramesBody(): Code {
  // Pass 1: dB = 10·log10(max(amin, power)) − refDb, and its maximum; flags NaN and infinite power.
  const toDb = seq(
    set(M_MAX, f64c(-Infinity)),
    set(M_BAD, i32(0)),
    set(M_P, i32(0)),
    set(M_END, shl(get(Q_COUNT), i32(3))),
    whileLoop(
      ltU(get(M_P), get(M_END)),
      seq(
        set(M_X, loadF64(add(get(Q_MEL), get(M_P)))),
        set(M_BAD, or(get(M_BAD), or(fne(get(M_X), get(M_X)), fgt(get(M_X), f64c(Number.MAX_VALUE))))),
        set(M_X, fsub(fmul(f64c(DB_PER_NEPER), lnOf(fmax(get(M_X), get(Q_AMIN)))), get(Q_REF_DB))),
        storeF64(add(get(Q_DB), get(M_P)), get(M_X)),
        set(M_MAX, fmax(get(M_MAX), get(M_X))),
      ),
      set(M_P, add(get(M_P), i32(8))),
    ),
  );
  // Pass 2: floor at max − topDb.
  const floor = seq(
    set(M_MAX, fsub(get(M_MAX), get(Q_TOP_DB))),
    set(M_P, get(Q_DB)),
    set(M_END, add(get(Q_DB), shl(get(Q_COUNT), i32(3)))),
    whileLoop(
      ltU(get(M_P), get(M_END)),
      storeF64(get(M_P), fmax(loadF64(get(M_P)), get(M_MAX))),
      set(M_P, add(get(M_P), i32(8))),
    ),
  );
  // DCT: out[k][t] = Σ_m dct[k][m] · db[t][m] (float32). Row k of the DCT-II matrix is even
  // (k even) or odd (k odd) about its middle, so with u[m] = x[m] + x[N−1−m] and
  // w[m] = x[m] − x[N−1−m] (m < N/2), y[k] = Σ_{m<N/2} dct[k][m] · (k even ? u : w)[m]: half the
  // products. Needs N = nMels a multiple of 8 (two pairs of m per step, two accumulators).
  const halfBytes = shl(get(Q_MELS), i32(2)); // (N/2) · 8
  const dct = seq(
    set(M_T, i32(0)),
    set(M_ROW, get(Q_DB)),
    whileLoop(
      ltU(get(M_T), get(Q_USED)),
      seq(
        // fold: u at Q_FOLD, w right after it
        set(M_P, get(M_ROW)),
        set(M_Q, add(get(M_ROW), shl(sub(get(Q_MELS), i32(2)), i32(3)))),
        set(M_D, get(Q_FOLD)),
        set(M_END, add(get(M_ROW), halfBytes)),
        whileLoop(
          ltU(get(M_P), get(M_END)),
          seq(
            set(M_A, loadV(get(M_P))),
            set(M_V, loadV(get(M_Q))),
            set(M_V, swap(get(M_V))),
            storeV(get(M_D), vadd(get(M_A), get(M_V))),
            storeV(add(get(M_D), halfBytes), vsub(get(M_A), get(M_V))),
          ),
          seq(set(M_P, add(get(M_P), i32(16))), set(M_Q, sub(get(M_Q), i32(16))), set(M_D, add(get(M_D), i32(16)))),
        ),
        set(M_K, i32(0)),
        set(M_D, get(Q_DCT)),
        whileLoop(
          ltU(get(M_K), get(Q_MFCC)),
          seq(
            set(M_V, constV(0, 0)),
            set(M_V2, constV(0, 0)),
            set(M_P, add(get(Q_FOLD), mul(seq(get(M_K), i32(1), 0x71), halfBytes))), // u, or w for odd k
            set(M_END, add(get(M_P), halfBytes)),
            whileLoop(
              ltU(get(M_P), get(M_END)),
              seq(
                set(M_V, vadd(get(M_V), vmul(loadV(get(M_P)), loadV(get(M_D))))),
                set(M_V2, vadd(get(M_V2), vmul(loadV(get(M_P), 16), loadV(get(M_D), 16)))),
              ),
              seq(set(M_P, add(get(M_P), i32(32))), set(M_D, add(get(M_D), i32(32)))),
            ),
            set(M_V, vadd(get(M_V), get(M_V2))),
            storeF32(
              add(get(Q_OUT), shl(add(mul(get(M_K), get(Q_COLUMNS)), get(M_T)), i32(2))),
              fadd(lane(get(M_V), 0), lane(get(M_V), 1)),
            ),
          ),
          set(M_K, add(get(M_K), i32(1))),
        ),
      ),
      seq(set(M_T, add(get(M_T), i32(1))), set(M_ROW, add(get(M_ROW), shl(get(Q_MELS), i32(3))))),
    ),
  );
  return seq(toDb, 0x20, uleb(M_BAD), 0x04, 0x40, 0x20, uleb(M_BAD), 0x0f, 0x0b, floor, dct, i32(0));
}

function buildModule(): Uint8Array {
  const melType = seq(0x60, vec(Array.from({ length: PARAMS }, () => [I32])), vec([]));
  const mfccType = seq(0x60, vec([...Array.from({ length: Q_I32_PARAMS }, () => [I32]), [F64], [F64], [F64]]), vec([[I32]]));
  const melLocals = vec([seq(uleb(I32_LOCALS), I32), seq(uleb(V128_LOCALS), V128), seq(uleb(F64_LOCALS), F64)]);
  const mfccLocals = vec([seq(uleb(M_I32), I32), seq(uleb(M_I64), 0x7e), seq(uleb(M_F64), F64), seq(uleb(M_V128), V128)]);
  const name = (text: string): Code => vec(Array.from(text, (ch) => [ch.charCodeAt(0)]));
  return Uint8Array.from(
    flatten(
      seq(
        [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
        section(1, vec([melType, mfccType])),
        section(3, vec([uleb(0), uleb(1)])),
        section(5, vec([seq(0x00, uleb(1))])),
        section(
          7,
          vec([
            seq(name('memory'), 0x02, uleb(0)),
            seq(name('melFrames'), 0x00, uleb(0)),
            seq(name('mfccFrames'), 0x00, uleb(1)),
          ]),
        ),
        section(10, vec([sized(seq(melLocals, melFramesBody(), 0x0b)), sized(seq(mfccLocals, mfccFramesBody(), 0x0b))])),
      ),
    ),
  );
}

// ---- JavaScript side ----

/** A mel filterbank in the sparse form of mfcc.ts: band m weighs bins startBin[m] onwards with weights[offset[m] .. offset[m + 1]). */
export interface SparseFilterbank {
  nFft: number;
  nMels: number;
  startBin: Int32Array;
  offset: Int32Array;
  weights: Float64Array;
}

interface FftTables {
  half: number;
  gather: number;
  twiddles: number;
  split: number;
  radix2First: boolean;
}

interface BankTables extends FftTables {
  window: number;
  bands: number;
  weights: number;
}

// The slice of the WebAssembly API used here (the project's TypeScript libs do not declare it).
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
}
const wasmApi = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

const PAGE = 65536;
/** Frames per call into the module: bounds its memory for long clips. */
const FRAMES_PER_BLOCK = 1024;
/** Longest clip (in frames) WasmMel.mfcc takes: its whole mel and dB matrices live in the module's memory. */
export const MAX_MFCC_FRAMES = 8192;

/** One instance per thread: its memory holds the tables of every (filterbank, window) seen, then per-call scratch. */
export class WasmMel {
  private readonly memory: WasmMemory;
  private readonly melFrames: (...args: number[]) => void;
  private readonly mfccFrames: (...args: number[]) => number;
  private readonly dcts = new Map<Float64Array, number>();
  /** Bump allocator for tables; per-call scratch lives above it. */
  private top = 64;
  private readonly ffts = new Map<number, FftTables>();
  private readonly banks = new Map<SparseFilterbank, { window: Float64Array; tables: BankTables }[]>();

  constructor(module: object) {
    const instance = new wasmApi!.Instance(module);
    this.memory = instance.exports.memory as WasmMemory;
    this.melFrames = instance.exports.melFrames as (...args: number[]) => void;
    this.mfccFrames = instance.exports.mfccFrames as (...args: number[]) => number;
  }

  private alloc(bytes: number): number {
    const at = (this.top + 15) & ~15;
    this.top = at + bytes;
    this.ensure(this.top);
    return at;
  }

  private ensure(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes > have) this.memory.grow(Math.ceil((bytes - have) / PAGE));
  }

  private fftTables(nFft: number): FftTables {
    let fft = this.ffts.get(nFft);
    if (fft) return fft;
    const half = nFft / 2;
    const bits = Math.round(Math.log2(half));
    const radix2First = (bits & 1) === 1;
    const gather = this.alloc(4 * half);
    let stageJs = 0;
    for (let s = radix2First ? 2 : 4; s < half; s *= 4) stageJs += s;
    const twiddles = this.alloc(96 * stageJs);
    const split = this.alloc(32 * (half / 2 + 1));

    const gatherView = new Int32Array(this.memory.buffer, gather, half);
    const reversed = new Int32Array(half);
    for (let i = 1; i < half; i++) reversed[i] = (reversed[i >> 1] >> 1) | ((i & 1) << (bits - 1));
    for (let i = 0; i < half; i++) gatherView[i] = 8 * reversed[i]; // byte offset of samples 2r, 2r + 1 (float32)
    // Per radix-4 stage merging blocks of length s, per j < s: W^j, W^2j, W^3j (W = e^{-2πi/4s}),
    // each as A = [wr, wr], B = [-wi, wi] (see cmul).
    const twiddleView = new Float64Array(this.memory.buffer, twiddles, 12 * stageJs);
    let at = 0;
    for (let s = radix2First ? 2 : 4; s < half; s *= 4) {
      const span = 4 * s;
      for (let j = 0; j < s; j++) {
        for (let p = 1; p <= 3; p++) {
          const angle = (2 * Math.PI * ((p * j) % span)) / span;
          const wr = Math.cos(angle);
          const wi = -Math.sin(angle);
          twiddleView[at++] = wr;
          twiddleView[at++] = wr;
          twiddleView[at++] = -wi;
          twiddleView[at++] = wi;
        }
      }
    }
    const splitView = new Float64Array(this.memory.buffer, split, 4 * (half / 2 + 1));
    for (let k = 0; k <= half / 2; k++) {
      const wr = Math.cos((2 * Math.PI * k) / nFft);
      const wi = -Math.sin((2 * Math.PI * k) / nFft);
      splitView[4 * k] = wr;
      splitView[4 * k + 1] = wr;
      splitView[4 * k + 2] = -wi;
      splitView[4 * k + 3] = wi;
    }
    fft = { half, gather, twiddles, split, radix2First };
    this.ffts.set(nFft, fft);
    return fft;
  }

  private bankTables(bank: SparseFilterbank, window: Float64Array): BankTables {
    let entries = this.banks.get(bank);
    const found = entries?.find((entry) => entry.window === window);
    if (found) return found.tables;
    const fft = this.fftTables(bank.nFft);
    const { half } = fft;
    const windowAt = this.alloc(16 * half);
    const bands = this.alloc(8 * bank.nMels);
    const weights = this.alloc(8 * bank.weights.length);
    const gatherView = new Int32Array(this.memory.buffer, fft.gather, half);
    const windowView = new Float64Array(this.memory.buffer, windowAt, 2 * half);
    for (let i = 0; i < half; i++) {
      const p = gatherView[i] / 4;
      windowView[2 * i] = window[p];
      windowView[2 * i + 1] = window[p + 1];
    }
    const bandsView = new Int32Array(this.memory.buffer, bands, 2 * bank.nMels);
    for (let m = 0; m < bank.nMels; m++) {
      bandsView[2 * m] = bank.startBin[m];
      bandsView[2 * m + 1] = bank.offset[m + 1] - bank.offset[m];
    }
    new Float64Array(this.memory.buffer, weights, bank.weights.length).set(bank.weights);
    const tables = { ...fft, window: windowAt, bands, weights };
    if (!entries) this.banks.set(bank, (entries = []));
    entries.push({ window, tables });
    return tables;
  }

  /**
   * Mel power of the centred frames of `samples` (frame t covers [t·hop − nFft/2, t·hop + nFft/2),
   * zeros outside), frame-major [frame][mel], into out[0 .. frames · nMels).
   */
  run(samples: Float32Array, frames: number, hopLength: number, bank: SparseFilterbank, window: Float64Array, out: Float64Array): void {
    const tables = this.bankTables(bank, window);
    const nMels = bank.nMels;
    for (let first = 0; first < frames; first += FRAMES_PER_BLOCK) {
      const count = Math.min(FRAMES_PER_BLOCK, frames - first);
      const { melAt } = this.melBlock(samples, first, count, hopLength, bank, tables, 0);
      out.set(new Float64Array(this.memory.buffer, melAt, count * nMels), first * nMels);
    }
  }

  /**
   * librosa MFCCs of a clip of at most MAX_MFCC_FRAMES frames: mel power as `run`, power_to_db
   * (amin 1e-10, ref 1, top_db 80) and the orthonormal DCT-II `dct` ([nMfcc][nMels]), coefficient
   * k of frame t to out[k · columns + t] (float32) for t < used. Returns false, writing nothing,
   * when the mel power has a NaN or an infinity (the caller then takes the JavaScript path,
   * whose Math.log handles those), or when nMels is not a multiple of 8.
   */
  mfcc(
    samples: Float32Array,
    frames: number,
    hopLength: number,
    bank: SparseFilterbank,
    window: Float64Array,
    dct: Float64Array,
    nMfcc: number,
    out: Float32Array,
    columns: number,
    used: number,
  ): boolean {
    const nMels = bank.nMels;
    if (nMels % 8 !== 0) return false;
    const tables = this.bankTables(bank, window);
    const dctAt = this.dctTable(dct, nMfcc, nMels);
    const count = frames * nMels;
    const { melAt, end } = this.melBlock(samples, 0, frames, hopLength, bank, tables, 8 * count + 8 * nMels + 4 * nMfcc * columns + 32);
    const dbAt = (end + 15) & ~15;
    const foldAt = dbAt + 8 * count;
    const outAt = foldAt + 8 * nMels;
    if (this.mfccFrames(melAt, dbAt, count, nMels, dctAt, nMfcc, outAt, columns, used, foldAt, 1e-10, 0, 80) !== 0) return false;
    const result = new Float32Array(this.memory.buffer, outAt, nMfcc * columns);
    for (let k = 0; k < nMfcc; k++) out.set(result.subarray(k * columns, k * columns + used), k * columns);
    return true;
  }

  /** The first half of each row of `dct` ([nMfcc][nMels]), rows contiguous. */
  private dctTable(dct: Float64Array, nMfcc: number, nMels: number): number {
    let at = this.dcts.get(dct);
    if (at === undefined) {
      const half = nMels / 2;
      at = this.alloc(8 * nMfcc * half);
      const view = new Float64Array(this.memory.buffer, at, nMfcc * half);
      for (let k = 0; k < nMfcc; k++) view.set(dct.subarray(k * nMels, k * nMels + half), k * half);
      this.dcts.set(dct, at);
    }
    return at;
  }

  /**
   * Runs melFrames on frames [first, first + count) of `samples` with per-call scratch above the
   * tables (work buffer, power, the block's padded samples, its output), leaving `extra` bytes
   * free after the output. Returns where the output is and where it ends.
   */
  private melBlock(
    samples: Float32Array,
    first: number,
    count: number,
    hopLength: number,
    bank: SparseFilterbank,
    tables: BankTables,
    extra: number,
  ): { melAt: number; end: number } {
    const { nFft, nMels } = bank;
    const pad = nFft / 2;
    const half = tables.half;
    // Samples of these frames in padded coordinates: [first·hop, (first + count − 1)·hop + nFft).
    const from = first * hopLength;
    const length = (count - 1) * hopLength + nFft;
    const work = (this.top + 15) & ~15;
    const power = work + 16 * half;
    const samplesAt = (power + 8 * (half + 1) + 15) & ~15;
    const melAt = (samplesAt + 4 * length + 15) & ~15;
    const end = melAt + 8 * count * nMels;
    this.ensure(end + extra);
    const block = new Float32Array(this.memory.buffer, samplesAt, length);
    // padded[i] = samples[i − pad] inside the clip, 0 outside
    const lo = Math.min(length, Math.max(0, pad - from));
    const hi = Math.max(lo, Math.min(length, samples.length + pad - from));
    block.fill(0, 0, lo);
    block.set(samples.subarray(from + lo - pad, from + hi - pad), lo);
    block.fill(0, hi);
    this.melFrames(
      samplesAt,
      count,
      4 * hopLength,
      half,
      tables.gather,
      tables.window,
      tables.twiddles,
      work,
      tables.split,
      power,
      tables.bands,
      tables.weights,
      nMels,
      melAt,
      tables.radix2First ? 1 : 0,
    );
    return { melAt, end };
  }
}

let compiled: object | null | undefined;
let instance: WasmMel | null = null;
let enabled = process.env.SER_WASM_MEL !== '0';

/** This thread's WasmMel, or null where WebAssembly SIMD is unavailable or it is disabled (SER_WASM_MEL=0). */
export function wasmMel(): WasmMel | null {
  if (!enabled) return null;
  if (compiled === undefined) {
    compiled = null;
    try {
      const bytes = buildModule();
      if (wasmApi?.validate(bytes)) compiled = new wasmApi.Module(bytes);
      if (compiled) instance = new WasmMel(compiled);
    } catch {
      compiled = null; // no WebAssembly SIMD here: the JavaScript path
    }
  }
  return instance;
}

/** Turns the WebAssembly path off (JavaScript everywhere) or back on; for tests and benchmarks. */
export function setWasmMelEnabled(on: boolean): void {
  enabled = on;
}

/** The module's bytes (for tests and inspection). */
export function wasmMelModuleBytes(): Uint8Array {
  return buildModule();
}
