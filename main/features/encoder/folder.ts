/**
 * A pretrained speech encoder's folder, as Hugging Face ONNX exports lay it out: `config.json`
 * (hidden size, layers, the convolutional feature encoder's kernels and strides),
 * `preprocessor_config.json` (sampling rate, do_normalize) and the model in `onnx/` (the hub's
 * exports) or the folder itself (`optimum-cli export onnx`). Reading it checks everything the
 * encoder representation relies on, each problem one line naming the file and what was expected;
 * the model file's SHA-256 is its identity in the feature cache and in checkpoints.
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { EncoderDtype } from '../../schema/names';

/** The rate every supported encoder (wav2vec 2.0, HuBERT, WavLM, data2vec audio) reads. */
export const ENCODER_SAMPLE_RATE = 16000;

/** wav2vec 2.0's feature encoder, when config.json does not list its own. */
const DEFAULT_CONV_KERNEL = [10, 3, 3, 3, 3, 2, 2];
const DEFAULT_CONV_STRIDE = [5, 2, 2, 2, 2, 2, 2];

/** The file of each dtype, in the order 'auto' tries them. */
export const ENCODER_FILES: readonly { dtype: Exclude<EncoderDtype, 'auto'>; file: string }[] = [
  { dtype: 'fp32', file: 'model.onnx' },
  { dtype: 'q8', file: 'model_quantized.onnx' },
  { dtype: 'int8', file: 'model_int8.onnx' },
  { dtype: 'uint8', file: 'model_uint8.onnx' },
  { dtype: 'fp16', file: 'model_fp16.onnx' },
];

export interface EncoderFolder {
  /** The folder, absolute. */
  dir: string;
  /** config.json's `_name_or_path`, else the folder's name. */
  name: string;
  /** config.json's model_type (wav2vec2, hubert, wavlm, …). */
  modelType: string;
  /** The model file, relative to the folder (`onnx/model.onnx`). */
  file: string;
  dtype: Exclude<EncoderDtype, 'auto'>;
  /** SHA-256 of the model file (and of its external data file, when it has one). */
  sha256: string;
  sizeBytes: number;
  hiddenSize: number;
  /** Transformer layers: hidden states 0 (the transformer's input) to `layers` (the last). */
  layers: number;
  sampleRate: number;
  /** Standardise each clip to zero mean and unit variance before the model (the preprocessor's do_normalize). */
  doNormalize: boolean;
  /** Samples between frames: the product of the convolution strides (320 for wav2vec 2.0). */
  frameStride: number;
  /** Samples one frame sees: the feature encoder's receptive field (400 for wav2vec 2.0). */
  receptiveField: number;
  /** The convolutions of the feature encoder, for the frame count of a length. */
  convKernel: number[];
  convStride: number[];
}

/** A folder that is not a usable encoder export: the message is one line naming the file. */
export class EncoderFolderError extends Error {}

const LAYOUT = 'config.json, preprocessor_config.json and onnx/model.onnx, as a Hugging Face ONNX export has';

async function readJson(path: string, what: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await fsp.readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new EncoderFolderError(
      code === 'ENOENT' ? `${path}: missing: an encoder folder holds ${LAYOUT}` : `${path}: unreadable (${(err as Error).message})`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new EncoderFolderError(`${path}: expected ${what} as JSON, but it does not parse (${(err as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new EncoderFolderError(`${path}: expected ${what} as a JSON object`);
  return value as Record<string, unknown>;
}

function positiveInteger(config: Record<string, unknown>, key: string, path: string): number {
  const value = config[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0)
    throw new EncoderFolderError(
      `${path}: expected ${key} as a positive integer (a speech encoder's config), got ${JSON.stringify(value) ?? 'nothing'}`,
    );
  return value;
}

function integerList(config: Record<string, unknown>, key: string, path: string, fallback: number[]): number[] {
  const value = config[key];
  if (value === undefined) return fallback;
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => Number.isInteger(v) && v > 0))
    throw new EncoderFolderError(`${path}: expected ${key} as a list of positive integers, got ${JSON.stringify(value)}`);
  return value as number[];
}

async function isFile(path: string): Promise<boolean> {
  return (await fsp.stat(path).catch(() => null))?.isFile() ?? false;
}

/** The dtypes whose files the folder holds (in onnx/ or itself), in ENCODER_FILES order. */
export async function encoderDtypesIn(dir: string): Promise<Exclude<EncoderDtype, 'auto'>[]> {
  const present: Exclude<EncoderDtype, 'auto'>[] = [];
  for (const { dtype, file } of ENCODER_FILES) {
    if ((await isFile(join(dir, 'onnx', file))) || (await isFile(join(dir, file)))) present.push(dtype);
  }
  return present;
}

/** The model file of a dtype ('auto': the first present), in onnx/ or the folder itself. */
async function findModel(dir: string, dtype: EncoderDtype): Promise<{ file: string; dtype: Exclude<EncoderDtype, 'auto'> }> {
  const wanted = dtype === 'auto' ? ENCODER_FILES : ENCODER_FILES.filter((f) => f.dtype === dtype);
  for (const candidate of wanted) {
    for (const file of [`onnx/${candidate.file}`, candidate.file]) {
      if (await isFile(join(dir, file))) return { file, dtype: candidate.dtype };
    }
  }
  const present = (
    await Promise.all(
      ['onnx', '.'].map(async (sub) =>
        (await fsp.readdir(join(dir, sub)).catch(() => []))
          .filter((n) => n.endsWith('.onnx'))
          .map((n) => (sub === '.' ? n : `${sub}/${n}`)),
      ),
    )
  ).flat();
  const expected =
    dtype === 'auto'
      ? `onnx/model.onnx (or ${ENCODER_FILES.slice(1)
          .map((f) => f.file)
          .join(', ')})`
      : `onnx/${wanted[0]!.file} for encoder dtype ${dtype}`;
  throw new EncoderFolderError(`${dir}: no ONNX model: expected ${expected}${present.length > 0 ? `; found ${present.join(', ')}` : ''}`);
}

const hashes = new Map<string, string>();

/** SHA-256 of the files, streamed (a large encoder is hundreds of MB); remembered per path, size and mtime. */
async function sha256Of(paths: string[]): Promise<string> {
  const stats = await Promise.all(paths.map((p) => fsp.stat(p)));
  const key = paths.map((p, i) => `${p}\0${stats[i]!.size}\0${stats[i]!.mtimeMs}`).join('\0');
  const known = hashes.get(key);
  if (known) return known;
  const hash = createHash('sha256');
  for (const path of paths) {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  }
  const digest = hash.digest('hex');
  hashes.set(key, digest);
  return digest;
}

/** Reads and checks an encoder folder; throws an EncoderFolderError naming the file at fault. */
export async function openEncoderFolder(dirGiven: string, dtype: EncoderDtype = 'auto'): Promise<EncoderFolder> {
  const dir = resolve(dirGiven);
  const stat = await fsp.stat(dir).catch(() => null);
  if (!stat?.isDirectory())
    throw new EncoderFolderError(`${dir}: ${stat ? 'not a folder' : 'missing'}: expected an encoder folder holding ${LAYOUT}`);
  const configPath = join(dir, 'config.json');
  const config = await readJson(configPath, 'the model config');
  const hiddenSize = positiveInteger(config, 'hidden_size', configPath);
  const layers = positiveInteger(config, 'num_hidden_layers', configPath);
  const kernels = integerList(config, 'conv_kernel', configPath, DEFAULT_CONV_KERNEL);
  const strides = integerList(config, 'conv_stride', configPath, DEFAULT_CONV_STRIDE);
  if (kernels.length !== strides.length) throw new EncoderFolderError(`${configPath}: expected conv_kernel and conv_stride of one length`);

  const preprocessorPath = join(dir, 'preprocessor_config.json');
  const preprocessor = await readJson(preprocessorPath, 'the feature extractor config');
  const sampleRate = preprocessor.sampling_rate ?? ENCODER_SAMPLE_RATE;
  if (sampleRate !== ENCODER_SAMPLE_RATE)
    throw new EncoderFolderError(
      `${preprocessorPath}: expected sampling_rate ${ENCODER_SAMPLE_RATE} (a waveform encoder), got ${JSON.stringify(sampleRate)}`,
    );
  const doNormalize = preprocessor.do_normalize ?? true;
  if (typeof doNormalize !== 'boolean')
    throw new EncoderFolderError(`${preprocessorPath}: expected do_normalize true or false, got ${JSON.stringify(doNormalize)}`);

  const model = await findModel(dir, dtype);
  const modelPath = join(dir, model.file);
  const externalData = `${modelPath}_data`;
  const files = (await isFile(externalData)) ? [modelPath, externalData] : [modelPath];
  const sizes = await Promise.all(files.map(async (f) => (await fsp.stat(f)).size));
  const nameOrPath = config._name_or_path;
  return {
    dir,
    name: typeof nameOrPath === 'string' && nameOrPath.trim() !== '' ? nameOrPath : basename(dir),
    modelType: typeof config.model_type === 'string' ? config.model_type : 'unknown',
    file: model.file,
    dtype: model.dtype,
    sha256: await sha256Of(files),
    sizeBytes: sizes.reduce((a, b) => a + b, 0),
    hiddenSize,
    layers,
    sampleRate: ENCODER_SAMPLE_RATE,
    doNormalize,
    frameStride: strides.reduce((a, b) => a * b, 1),
    receptiveField: kernels.reduceRight((field, kernel, i) => (field - 1) * strides[i]! + kernel, 1),
    convKernel: kernels,
    convStride: strides,
  };
}

/** Frames the feature encoder gives for this many samples (Hugging Face's _get_feat_extract_output_lengths). */
export function encoderFrameCount(samples: number, folder: Pick<EncoderFolder, 'convKernel' | 'convStride'>): number {
  let length = samples;
  folder.convKernel.forEach((kernel, i) => {
    length = length < kernel ? 0 : Math.floor((length - kernel) / folder.convStride[i]!) + 1;
  });
  return length;
}
