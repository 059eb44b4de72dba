/**
 * One encoder model loaded in onnxruntime: its inputs and outputs checked against the contract of
 * Hugging Face's speech encoder exports (`input_values` float32 [batch, samples], optional
 * `attention_mask`; `last_hidden_state` and, exported with output_hidden_states, `hidden_states.0`
 * … `hidden_states.N`), the layer resolved, and a run of one window of samples returning that
 * layer's frames. Runs on the first execution provider that starts (GPU ones where present), else
 * the CPU.
 */
import { join } from 'node:path';
import type { EncoderFolder } from './folder';
import { listExecutionProviders, loadOnnxRuntime, type ExecutionProviderName, type Ort, type OrtSession, type OrtTensor } from './runtime';

/** One window's frames of the chosen layer: frames × hiddenSize, row-major (a frame's values together). */
export interface EncoderFrames {
  frames: number;
  data: Float32Array;
}

/** Which layer a session gives and why (what run.json and checkpoints record). */
export interface EncoderLayerChoice {
  /** The hidden state's index: 0 = the transformer's input, `layers` = the last layer. */
  layer: number;
  /** The output read. */
  output: string;
  /** "layer 2 of 2 (last_hidden_state: the export has no hidden_states outputs)", … */
  note: string;
}

export interface EncoderProviderChoice {
  name: ExecutionProviderName;
  /** Providers tried first and why they were not used. */
  skipped: { name: ExecutionProviderName; reason: string }[];
}

const HIDDEN_STATE = /^hidden_states\.(\d+)$/;

/** The layer an export lets `requested` (-1 = the last) read, or a one-line reason naming the file. */
export function chooseLayer(folder: EncoderFolder, outputNames: readonly string[], requested: number): EncoderLayerChoice {
  const file = join(folder.dir, folder.file);
  if (!outputNames.includes('last_hidden_state'))
    throw new Error(
      `${file}: expected an output named last_hidden_state (a speech encoder export's frames), found ${outputNames.join(', ') || 'none'}`,
    );
  const last = folder.layers;
  const layer = requested === -1 ? last : requested;
  if (layer > last)
    throw new Error(
      `${file}: encoder layer ${requested} does not exist: the model has layers 0 to ${last} (config.json num_hidden_layers ${last})`,
    );
  const hiddenStates = outputNames.filter((n) => HIDDEN_STATE.test(n));
  if (layer === last) {
    const why = hiddenStates.length > 0 ? 'the last layer' : 'the export has no hidden_states outputs, so the last layer';
    return { layer, output: 'last_hidden_state', note: `layer ${layer} of ${last} (last_hidden_state: ${why})` };
  }
  if (hiddenStates.length === 0)
    throw new Error(
      `${file}: exposes only last_hidden_state (layer ${last} of ${last}): encoder layer must be -1 or ${last}; for layer ${layer} export the model with output_hidden_states (outputs hidden_states.0 … hidden_states.${last})`,
    );
  const output = `hidden_states.${layer}`;
  if (!outputNames.includes(output)) throw new Error(`${file}: has no output ${output} (it has ${hiddenStates.join(', ')})`);
  return { layer, output, note: `layer ${layer} of ${last} (${output})` };
}

/** Why the inputs are not a waveform encoder's, or null. */
function inputProblem(session: OrtSession, file: string): string | null {
  const names = session.inputNames;
  const others = names.filter((n) => n !== 'input_values' && n !== 'attention_mask');
  if (names.includes('input_values') && others.length === 0) {
    const type = session.inputMetadata.find((m) => m.name === 'input_values')?.type;
    if (type === undefined || type === 'float32' || type === 'float16') return null;
    return `${file}: expected input_values of float32 or float16 samples, but the model reads ${type}`;
  }
  return `${file}: the model reads ${names.join(', ')}; expected input_values (float32 [batch, samples]) and optionally attention_mask, as wav2vec 2.0, HuBERT and WavLM exports do`;
}

/** One line for a model onnxruntime refuses to load: the file, what was expected, its first words. */
export function loadProblem(err: unknown, folder: EncoderFolder, file: string): string {
  const message = (err instanceof Error ? err.message : String(err)).split('\n')[0]!.trim().slice(0, 240);
  if (folder.dtype === 'fp16' && /could not find an implementation|not_implemented|float16|fp16/i.test(message))
    return `${file}: onnxruntime on this CPU cannot run this float16 model (${message}): use the fp32 export (encoder dtype fp32, onnx/model.onnx) or a GPU provider`;
  if (/protobuf|invalid model|parse/i.test(message))
    return `${file}: not a readable ONNX model (onnxruntime: ${message}); expected an ONNX export of a speech encoder`;
  return `${file}: onnxruntime could not load the model (${message})`;
}

const FLOAT16_BUFFER = new DataView(new ArrayBuffer(4));

/** IEEE half-precision bits of a float32 value, rounded to nearest even. */
function toHalf(value: number): number {
  FLOAT16_BUFFER.setFloat32(0, value);
  const x = FLOAT16_BUFFER.getUint32(0);
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  let mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - e;
    let half = mantissa >> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mantissa >> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++;
  return sign | half;
}

function fromHalf(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? Number.NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

export interface EncoderSessionOptions {
  /** Threads onnxruntime computes one run with (default: its own choice, the cores). */
  threads?: number;
  /** The providers to consider (default: this machine's, listExecutionProviders). */
  providers?: readonly ExecutionProviderName[];
}

export class EncoderSession {
  private closed = false;

  private constructor(
    private readonly ort: Ort,
    private readonly session: OrtSession,
    readonly folder: EncoderFolder,
    readonly layer: EncoderLayerChoice,
    readonly provider: EncoderProviderChoice,
    private readonly inputType: 'float32' | 'float16',
    private readonly wantsMask: boolean,
  ) {}

  /** Loads the folder's model and checks its contract; throws one line naming the file at fault. */
  static async open(folder: EncoderFolder, requestedLayer: number, options: EncoderSessionOptions = {}): Promise<EncoderSession> {
    const runtime = loadOnnxRuntime();
    if ('reason' in runtime) throw new Error(`the encoder representation needs onnxruntime: ${runtime.reason}`);
    const file = join(folder.dir, folder.file);
    const available = listExecutionProviders();
    const skipped: EncoderProviderChoice['skipped'] = [];
    let session: OrtSession | null = null;
    let name: ExecutionProviderName = 'cpu';
    for (const provider of available) {
      if (options.providers && !options.providers.includes(provider.name)) continue;
      if (!provider.available) {
        if (!provider.otherPlatform) skipped.push({ name: provider.name, reason: provider.reason ?? 'unavailable' });
        continue;
      }
      try {
        session = await runtime.ort.InferenceSession.create(file, {
          executionProviders: [provider.name],
          graphOptimizationLevel: 'all',
          logSeverityLevel: 3,
          ...(options.threads !== undefined && { intraOpNumThreads: options.threads, interOpNumThreads: 1 }),
        });
        name = provider.name;
        break;
      } catch (err) {
        if (provider.name === 'cpu') throw new Error(loadProblem(err, folder, file), { cause: err });
        skipped.push({ name: provider.name, reason: (err as Error).message.split('\n')[0]!.slice(0, 200) });
      }
    }
    if (!session)
      throw new Error(`${file}: no execution provider could load the model (${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')})`);
    try {
      const problem = inputProblem(session, file);
      if (problem) throw new Error(problem);
      const layer = chooseLayer(folder, session.outputNames, requestedLayer);
      const inputType = session.inputMetadata.find((m) => m.name === 'input_values')?.type === 'float16' ? 'float16' : 'float32';
      return new EncoderSession(
        runtime.ort,
        session,
        folder,
        layer,
        { name, skipped },
        inputType,
        session.inputNames.includes('attention_mask'),
      );
    } catch (err) {
      await session.release();
      throw err;
    }
  }

  /** The chosen layer's frames for one window of samples (at the folder's rate, already normalised). */
  async run(samples: Float32Array): Promise<EncoderFrames> {
    if (this.closed) throw new Error('the encoder session is closed');
    const dims = [1, samples.length];
    const feeds: Record<string, OrtTensor> = {
      input_values:
        this.inputType === 'float16'
          ? new this.ort.Tensor('float16', Uint16Array.from(samples, toHalf), dims)
          : new this.ort.Tensor('float32', samples, dims),
    };
    if (this.wantsMask) feeds.attention_mask = new this.ort.Tensor('int64', new BigInt64Array(samples.length).fill(1n), dims);
    const output = (await this.session.run(feeds, [this.layer.output]))[this.layer.output]!;
    const [batch, frames, hidden] = output.dims;
    if (output.dims.length !== 3 || batch !== 1 || hidden !== this.folder.hiddenSize) {
      throw new Error(
        `${join(this.folder.dir, this.folder.file)}: ${this.layer.output} has shape [${output.dims.join(', ')}]; expected [1, frames, ${this.folder.hiddenSize}] (config.json hidden_size)`,
      );
    }
    const data =
      output.type === 'float16' ? Float32Array.from(output.data as Uint16Array, fromHalf) : new Float32Array(output.data as Float32Array);
    output.dispose?.();
    return { frames: frames!, data };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.session.release();
  }
}
