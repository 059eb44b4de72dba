/**
 * Converts a workbench model (a tfjs LayersModel built from main/models) into an ONNX graph,
 * layer by layer, in inference mode: batch norm uses its moving statistics and dropout is left
 * out. The protobuf is encoded by the onnx-proto package; the graph uses opset ONNX_OPSET.
 *
 * Layout: the model's input is NHWC [batch, rows, frames, 1] like the workbench's; it is
 * transposed once to NCHW, which ONNX's Conv and pooling operators take, and 4-D maps stay NCHW
 * until a layer needs the tfjs order back (flatten, permute). The frame mask [batch, frames] is
 * carried as [batch, 1, 1, frames] so it broadcasts over the maps.
 *
 * Dynamic dimensions: the batch always; the frames when no layer fixes them (a flatten or an
 * average pooling sized from the input fixes them, as in seed-cnn).
 */
import * as tf from '@tensorflow/tfjs';
import { adaptiveBins } from '../../models';
import { float, floatList, GraphBuilder, int, ints, onnx, str, type OnnxExport } from './onnxProto';

export class UnsupportedLayerError extends Error {}

/** How a tfjs tensor is held in the graph. */
type Layout = 'nchw' | 'tfjs' | 'mask';

interface Value {
  name: string;
  layout: Layout;
}

/** NHWC axis -> its position in NCHW. */
const NCHW_POSITION = [0, 2, 3, 1];

interface Weight {
  values: Float32Array;
  shape: number[];
}

/** Every layer's weights, read asynchronously (the webgpu backend cannot read synchronously in Node). */
async function readWeights(model: tf.LayersModel): Promise<Map<tf.layers.Layer, Weight[]>> {
  const weights = new Map<tf.layers.Layer, Weight[]>();
  for (const layer of model.layers) {
    const values = await Promise.all(layer.getWeights().map(async (w) => ({ values: (await w.data()) as Float32Array, shape: w.shape })));
    weights.set(layer, values);
  }
  return weights;
}

/** A 2-D row-major matrix [rows, cols] transposed. */
function transpose2d(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c]!;
  return out;
}

/** A tfjs conv kernel [kh, kw, in, out] as ONNX's [out, in, kh, kw]. */
function convKernel(values: Float32Array, [kh, kw, cin, cout]: number[]): Float32Array {
  const out = new Float32Array(values.length);
  for (let y = 0; y < kh!; y++)
    for (let x = 0; x < kw!; x++)
      for (let i = 0; i < cin!; i++)
        for (let o = 0; o < cout!; o++) out[((o * cin! + i) * kh! + y) * kw! + x] = values[((y * kw! + x) * cin! + i) * cout! + o]!;
  return out;
}

const asArray = <T>(x: T | T[]): T[] => (Array.isArray(x) ? x : [x]);

class Converter {
  private readonly g = new GraphBuilder();
  private readonly values = new Map<number, Value>();
  framesFixedBy: string | null = null;

  constructor(
    private readonly model: tf.LayersModel,
    private readonly weights: Map<tf.layers.Layer, Weight[]>,
  ) {}

  private weightValues(layer: tf.layers.Layer): Weight[] {
    return this.weights.get(layer) ?? [];
  }

  run(): OnnxExport {
    const model = this.model;
    if (model.outputs.length !== 1) throw new UnsupportedLayerError(`the model has ${model.outputs.length} outputs; ONNX export takes one`);
    const [features, mask] = model.inputs;
    if (!features || features.shape.length !== 4 || model.inputs.length > 2) {
      throw new UnsupportedLayerError('the model does not take NHWC features [batch, rows, frames, 1] (and a frame mask)');
    }
    // (A Sequential model does not list its input layer among its layers.)
    const nchw = this.g.node('Transpose', ['features'], 'features_nchw', [ints('perm', [0, 3, 1, 2])]);
    this.values.set(features.id, { name: nchw, layout: 'nchw' });
    if (mask) {
      const shape = this.g.int64s(this.g.fresh('mask_shape'), [0, 1, 1, -1]);
      this.values.set(mask.id, { name: this.g.node('Reshape', ['mask', shape], 'mask4d'), layout: 'mask' });
    }
    for (const layer of model.layers) this.convert(layer);

    const out = this.values.get(model.outputs[0]!.id)!;
    const logits = out.layout === 'nchw' ? this.toTfjs(out, 'logits').name : out.name;
    this.g.named('Identity', [logits], 'logits');

    const frames: number | string = this.framesFixedBy ? features.shape[2]! : 'frames';
    const inputs = [{ name: 'features', shape: ['batch', features.shape[1]!, frames, 1] }];
    if (mask) inputs.push({ name: 'mask', shape: ['batch', frames] });
    const output = { name: 'logits', shape: ['batch', model.outputs[0]!.shape[1]!] as (number | string)[] };
    return { bytes: this.g.encode(model.name, inputs, output), inputs, output, inputKind: 'matrix', framesFixedBy: this.framesFixedBy };
  }

  private fixFrames(layer: tf.layers.Layer): void {
    this.framesFixedBy ??= `${layer.name} (${layer.getClassName()})`;
  }

  private unsupported(layer: tf.layers.Layer, why: string): never {
    throw new UnsupportedLayerError(`layer "${layer.name}" (${layer.getClassName()}) cannot be exported to ONNX: ${why}`);
  }

  private input(layer: tf.layers.Layer, index = 0): Value {
    const tensor = asArray(layer.input)[index];
    const value = tensor && this.values.get(tensor.id);
    if (!value) this.unsupported(layer, `its input ${index} is not produced by an exported layer`);
    return value;
  }

  private set(layer: tf.layers.Layer, value: Value): void {
    this.values.set((layer.output as tf.SymbolicTensor).id, value);
  }

  private toTfjs(v: Value, hint: string): Value {
    if (v.layout !== 'nchw') return v;
    return { name: this.g.node('Transpose', [v.name], `${hint}_nhwc`, [ints('perm', [0, 2, 3, 1])]), layout: 'tfjs' };
  }

  /** The mask [batch, 1, 1, time] as the number of real steps per clip, int32 [batch] (real steps come first). */
  private stepCounts(mask: Value, hint: string): string {
    const axes = this.g.int64s(this.g.fresh(`${hint}_axes`), [1, 2, 3]);
    const sum = this.g.node('ReduceSum', [mask.name, axes], `${hint}_steps`, [int('keepdims', 0)]);
    return this.g.node('Cast', [sum], `${hint}_steps_int`, [int('to', onnx.TensorProto.DataType.INT32)]);
  }

  /** The mask [batch, 1, 1, time] as [batch, time, 1], to broadcast over a sequence. */
  private sequenceMask(mask: Value, hint: string): string {
    const shape = this.g.int64s(this.g.fresh(`${hint}_shape`), [0, -1, 1]);
    return this.g.node('Reshape', [mask.name, shape], `${hint}_seqmask`);
  }

  private convert(layer: tf.layers.Layer): void {
    const kind = layer.getClassName();
    const name = layer.name;
    const config = layer.getConfig() as Record<string, unknown>;
    const g = this.g;
    switch (kind) {
      case 'InputLayer':
        return; // the model's inputs are in place (run())
      case 'ApplyMask':
      case 'MaskedGlobalAveragePooling':
      case 'SerBatchNorm': {
        const x = this.input(layer, 0);
        const mask = asArray(layer.input).length > 1 ? this.input(layer, 1) : null;
        if (x.layout !== 'nchw') this.unsupported(layer, 'it takes 4-D feature maps only');
        if (kind === 'ApplyMask') {
          this.set(layer, mask ? { name: g.node('Mul', [x.name, mask.name], name), layout: 'nchw' } : x);
          return;
        }
        if (kind === 'MaskedGlobalAveragePooling') {
          this.set(layer, this.globalAverage(layer, x, mask));
          return;
        }
        const [gamma, beta, mean, variance] = this.weightValues(layer);
        const channels = gamma!.shape[0]!;
        const params = [gamma, beta, mean, variance].map((w, i) =>
          g.floats(`${name}/${['gamma', 'beta', 'mean', 'variance'][i]}`, w!.values, [channels]),
        );
        let y = g.node('BatchNormalization', [x.name, ...params], name, [float('epsilon', config['epsilon'] as number)]);
        if (mask) y = g.node('Mul', [y, mask.name], `${name}_masked`);
        this.set(layer, { name: y, layout: 'nchw' });
        return;
      }
      case 'Conv2D': {
        const x = this.input(layer);
        if (x.layout !== 'nchw') this.unsupported(layer, 'it takes 4-D feature maps only');
        const dilation = asArray(config['dilationRate'] as number | number[]);
        if (dilation.some((d) => d !== 1)) this.unsupported(layer, 'dilation is not exported');
        const padding = config['padding'] as string;
        if (padding !== 'same' && padding !== 'valid') this.unsupported(layer, `padding '${padding}' is not exported`);
        const [kernel, bias] = this.weightValues(layer);
        const [kh, kw, cin, cout] = kernel!.shape as [number, number, number, number];
        const inputs = [x.name, g.floats(`${name}/kernel`, convKernel(kernel!.values, kernel!.shape), [cout, cin, kh, kw])];
        if (bias) inputs.push(g.floats(`${name}/bias`, bias.values, [cout]));
        const strides = asArray(config['strides'] as number | number[]);
        const attrs = [ints('kernel_shape', [kh, kw]), ints('strides', strides.length === 1 ? [strides[0]!, strides[0]!] : strides)];
        // SAME_UPPER is TensorFlow's 'same': any odd padding goes at the end.
        attrs.push(padding === 'same' ? str('auto_pad', 'SAME_UPPER') : str('auto_pad', 'VALID'));
        const y = g.node('Conv', inputs, name, attrs);
        this.set(layer, { name: this.activation(layer, y, config['activation']), layout: 'nchw' });
        return;
      }
      case 'Activation': {
        const x = this.input(layer);
        this.set(layer, { name: this.activation(layer, x.name, config['activation']), layout: x.layout });
        return;
      }
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        const x = this.input(layer);
        if (x.layout !== 'nchw') this.unsupported(layer, 'it takes 4-D feature maps only');
        const pool = config['poolSize'] as number[];
        const strides = (config['strides'] as number[] | null) ?? pool;
        const padding = config['padding'] as string;
        if (padding !== 'valid') this.unsupported(layer, `padding '${padding}' is not exported`);
        if (kind === 'AveragePooling2D') this.fixFrames(layer);
        const op = kind === 'MaxPooling2D' ? 'MaxPool' : 'AveragePool';
        this.set(layer, { name: g.node(op, [x.name], name, [ints('kernel_shape', pool), ints('strides', strides)]), layout: 'nchw' });
        return;
      }
      case 'PoolMask': {
        const mask = this.input(layer);
        const pool = config['pool'] as number;
        const padding = config['padding'] === 'same' ? 'SAME_UPPER' : 'VALID';
        const y = g.node('MaxPool', [mask.name], name, [
          ints('kernel_shape', [1, pool]),
          ints('strides', [1, pool]),
          str('auto_pad', padding),
        ]);
        this.set(layer, { name: y, layout: 'mask' });
        return;
      }
      case 'AdaptiveAveragePooling2D':
        this.set(layer, this.adaptiveAverage(layer));
        return;
      case 'GlobalAveragePooling2D':
        this.set(layer, this.globalAverage(layer, this.input(layer), null));
        return;
      case 'Add': {
        const inputs = asArray(layer.input).map((_, i) => this.input(layer, i));
        if (inputs.some((v) => v.layout !== inputs[0]!.layout)) this.unsupported(layer, 'its inputs have different layouts');
        let sum = inputs[0]!.name;
        inputs.slice(1).forEach((v, i) => (sum = g.node('Add', [sum, v.name], i === inputs.length - 2 ? name : `${name}_part`)));
        this.set(layer, { name: sum, layout: inputs[0]!.layout });
        return;
      }
      case 'Flatten': {
        const x = this.toTfjs(this.input(layer), name);
        this.fixFrames(layer);
        this.set(layer, { name: g.node('Flatten', [x.name], name, [int('axis', 1)]), layout: 'tfjs' });
        return;
      }
      case 'Permute': {
        const x = this.input(layer);
        const dims = [0, ...(config['dims'] as number[])];
        const perm = x.layout === 'nchw' ? dims.map((axis) => NCHW_POSITION[axis]!) : dims;
        this.set(layer, { name: g.node('Transpose', [x.name], name, [ints('perm', perm)]), layout: 'tfjs' });
        return;
      }
      case 'Reshape': {
        const x = this.toTfjs(this.input(layer), name);
        const inShape = (layer.input as tf.SymbolicTensor).shape;
        const target = config['targetShape'] as number[];
        // A leading dimension kept as it is (the time steps) stays dynamic: 0 copies it.
        const keepsTime = target[0] === inShape[1];
        if (!keepsTime) this.fixFrames(layer);
        const shape = g.int64s(g.fresh(`${name}_shape`), [0, ...target.map((d, i) => (i === 0 && keepsTime ? 0 : d))]);
        this.set(layer, { name: g.node('Reshape', [x.name, shape], name), layout: 'tfjs' });
        return;
      }
      case 'Dropout':
      case 'SeededDropout':
        // Inference mode: dropout is the identity.
        this.set(layer, this.input(layer));
        return;
      case 'Dense': {
        const x = this.toTfjs(this.input(layer), name);
        const [kernel, bias] = this.weightValues(layer);
        const [inUnits, units] = kernel!.shape as [number, number];
        let y = g.node('MatMul', [x.name, g.floats(`${name}/kernel`, kernel!.values, [inUnits, units])], `${name}_matmul`);
        if (bias) y = g.node('Add', [y, g.floats(`${name}/bias`, bias.values, [units])], name);
        this.set(layer, { name: this.activation(layer, y, config['activation']), layout: 'tfjs' });
        return;
      }
      case 'BiGru':
        this.set(layer, this.biGru(layer, config['units'] as number));
        return;
      case 'AttentionPooling':
        this.set(layer, this.attention(layer));
        return;
      default:
        this.unsupported(layer, 'no ONNX conversion for this layer type');
    }
  }

  private activation(layer: tf.layers.Layer, x: string, activation: unknown): string {
    if (activation === undefined || activation === 'linear') return x;
    if (activation === 'relu') return this.g.node('Relu', [x], `${layer.name}_relu`);
    this.unsupported(layer, `activation '${String(activation)}' is not exported`);
  }

  /** [x (NCHW), mask] -> [batch, channels]: the mean over the real frames (all rows), or over everything. */
  private globalAverage(layer: tf.layers.Layer, x: Value, mask: Value | null): Value {
    const g = this.g;
    if (x.layout !== 'nchw') this.unsupported(layer, 'it takes 4-D feature maps only');
    if (!mask) {
      const pooled = g.node('GlobalAveragePool', [x.name], `${layer.name}_pool`);
      return { name: g.node('Flatten', [pooled], layer.name, [int('axis', 1)]), layout: 'tfjs' };
    }
    const rows = (asArray(layer.input)[0] as tf.SymbolicTensor).shape[1]!;
    const axes = g.int64s(g.fresh(`${layer.name}_axes`), [2, 3]);
    const sum = g.node('ReduceSum', [g.node('Mul', [x.name, mask.name], `${layer.name}_masked`), axes], `${layer.name}_sum`, [
      int('keepdims', 0),
    ]);
    const real = g.node('ReduceSum', [mask.name, axes], `${layer.name}_frames`, [int('keepdims', 0)]);
    const count = g.node('Mul', [real, g.floats(`${layer.name}/rows`, [rows], [])], `${layer.name}_count`);
    return { name: g.node('Div', [sum, count], layer.name), layout: 'tfjs' };
  }

  /** PyTorch's adaptive average pooling with the bins of the input's (fixed) size: two averaging matrices. */
  private adaptiveAverage(layer: tf.layers.Layer): Value {
    const g = this.g;
    const x = this.input(layer);
    if (x.layout !== 'nchw') this.unsupported(layer, 'it takes 4-D feature maps only');
    this.fixFrames(layer);
    const [, height, width] = (layer.input as tf.SymbolicTensor).shape as number[];
    const [outH, outW] = (layer.getConfig() as { outputSize: [number, number] }).outputSize;
    const averaging = (size: number, out: number): Float32Array => {
      // [out, size]: row i averages bin i.
      const m = new Float32Array(out * size);
      const bins = adaptiveBins(size, out);
      bins.forEach(([start, end], i) => {
        for (let j = start; j < end; j++) m[i * size + j] = 1 / (end - start);
      });
      return m;
    };
    const rowsMatrix = g.floats(`${layer.name}/rows`, averaging(height!, outH), [outH, height!]);
    const colsMatrix = g.floats(`${layer.name}/cols`, transpose2d(averaging(width!, outW), outW, width!), [width!, outW]);
    const pooledRows = g.node('MatMul', [rowsMatrix, x.name], `${layer.name}_rows`);
    return { name: g.node('MatMul', [pooledRows, colsMatrix], layer.name), layout: 'nchw' };
  }

  /**
   * BiGru -> ONNX GRU (bidirectional, hard-sigmoid gates as tfjs's, reset before the recurrent
   * product: linear_before_reset 0). The mask becomes per-clip sequence lengths: the workbench's
   * masks mark a clip's real steps first and padding after, where the GRU's lengths give the
   * same states; the padded steps' outputs differ (0 here) but attention pooling gives them no weight.
   */
  private biGru(layer: tf.layers.Layer, units: number): Value {
    const g = this.g;
    const x = this.input(layer, 0);
    if (x.layout !== 'tfjs') this.unsupported(layer, 'it takes sequences [batch, time, features]');
    const mask = asArray(layer.input).length > 1 ? this.input(layer, 1) : null;
    const w = this.weightValues(layer);
    const features = w[0]!.shape[0]!;
    const u = units;
    const W = new Float32Array(2 * 3 * u * features);
    const R = new Float32Array(2 * 3 * u * u);
    const B = new Float32Array(2 * 6 * u);
    for (let dir = 0; dir < 2; dir++) {
      const [kernel, recurrent, bias] = w.slice(3 * dir, 3 * dir + 3);
      W.set(transpose2d(kernel!.values, features, 3 * u), dir * 3 * u * features);
      R.set(transpose2d(recurrent!.values, u, 3 * u), dir * 3 * u * u);
      B.set(bias!.values, dir * 6 * u); // input bias; the recurrent bias stays 0
    }
    const seq = g.node('Transpose', [x.name], `${layer.name}_time_major`, [ints('perm', [1, 0, 2])]);
    const inputs = [
      seq,
      g.floats(`${layer.name}/W`, W, [2, 3 * u, features]),
      g.floats(`${layer.name}/R`, R, [2, 3 * u, u]),
      g.floats(`${layer.name}/B`, B, [2, 6 * u]),
    ];
    if (mask) inputs.push(this.stepCounts(mask, layer.name));
    const y = g.node('GRU', inputs, `${layer.name}_gru`, [
      int('hidden_size', u),
      str('direction', 'bidirectional'),
      {
        name: 'activations',
        type: onnx.AttributeProto.AttributeType.STRINGS,
        strings: ['HardSigmoid', 'Tanh', 'HardSigmoid', 'Tanh'].map((s) => new TextEncoder().encode(s)),
      },
      floatList('activation_alpha', [0.2, 0.2]),
      floatList('activation_beta', [0.5, 0.5]),
      int('linear_before_reset', 0),
    ]);
    // Y [time, 2, batch, u] -> [batch, time, 2, u] -> [batch, time, 2u] (forward then backward, as tfjs concatenates).
    const batchMajor = g.node('Transpose', [y], `${layer.name}_batch_major`, [ints('perm', [2, 0, 1, 3])]);
    const shape = g.int64s(g.fresh(`${layer.name}_shape`), [0, 0, 2 * u]);
    return { name: g.node('Reshape', [batchMajor, shape], layer.name), layout: 'tfjs' };
  }

  /** Scores x·k, softmax over the (real) steps, weighted sum: [batch, time, features] -> [batch, features]. */
  private attention(layer: tf.layers.Layer): Value {
    const g = this.g;
    const x = this.input(layer, 0);
    if (x.layout !== 'tfjs') this.unsupported(layer, 'it takes sequences [batch, time, features]');
    const mask = asArray(layer.input).length > 1 ? this.input(layer, 1) : null;
    const [kernel] = this.weightValues(layer);
    let scores = g.node('MatMul', [x.name, g.floats(`${layer.name}/kernel`, kernel!.values, kernel!.shape)], `${layer.name}_scores`);
    if (mask) {
      const seqMask = this.sequenceMask(mask, layer.name);
      const one = g.floats(`${layer.name}/one`, [1], []);
      const big = g.floats(`${layer.name}/big`, [1e9], []);
      const penalty = g.node('Mul', [g.node('Sub', [seqMask, one], `${layer.name}_pad`), big], `${layer.name}_penalty`);
      scores = g.node('Add', [scores, penalty], `${layer.name}_masked_scores`);
    }
    const weights = g.node('Softmax', [scores], `${layer.name}_weights`, [int('axis', 1)]);
    const axes = g.int64s(g.fresh(`${layer.name}_axes`), [1]);
    const weighted = g.node('Mul', [x.name, weights], `${layer.name}_weighted`);
    return { name: g.node('ReduceSum', [weighted, axes], layer.name, [int('keepdims', 0)]), layout: 'tfjs' };
  }
}

/** The model as ONNX; throws UnsupportedLayerError naming the first layer that has no conversion. */
export async function toOnnx(model: tf.LayersModel): Promise<OnnxExport> {
  return new Converter(model, await readWeights(model)).run();
}
