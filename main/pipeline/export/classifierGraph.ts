/**
 * A classical classifier (classifier.json, models/classical) as an ONNX graph of standard
 * operators: the input is a batch of standardised feature vectors [batch, dims] in float32, the
 * output the class probabilities [batch, classes] that the workbench's predict path gives.
 *
 * The workbench computes these models in float64, so the graph does too (the input is cast to
 * double, every parameter is stored as double, the probabilities are cast back to float32); where
 * the workbench rounds to float32 (the RBF kernel values), the graph rounds the same way.
 *
 * - linear SVM: decisions x·Wᵀ + b; RBF SVM: decisions Σ_j β_kj (exp(−γ‖x − s_j‖²) + 1) over the
 *   support vectors s_j; both through each class's Platt sigmoid, floored at 1e-12, normalised.
 * - logistic regression: softmax(x·Wᵀ + b); MLP: softmax(relu(x·W1ᵀ + b1)·W2ᵀ + b2).
 * - k-NN: squared distances to the stored training vectors, the k nearest by TopK (ties to the
 *   earlier training vector, as in the workbench), their class-weighted votes, normalised.
 *   Distances are ‖x‖² + ‖t‖² − 2 x·t here and Σ (x − t)² in the workbench: two neighbours whose
 *   distances differ by float64 rounding alone could swap.
 */
import type { ClassifierFile } from '../../runs/classifierFile';
import type { KnnParameters } from '../../models/classical/knn';
import type { LogregParameters } from '../../models/classical/logreg';
import type { MlpParameters } from '../../models/classical/mlp';
import type { SvmParameters } from '../../models/classical/svm';
import { GraphBuilder, int, onnx, type OnnxExport } from './onnxProto';

const DOUBLE = onnx.TensorProto.DataType.DOUBLE;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
/** The Platt probabilities' floor (models/classical/svm.ts). */
const PLATT_FLOOR = 1e-12;

/** A row-major matrix [rows, cols] transposed. */
function transposed(values: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c]!;
  return out;
}

/** The squared norm of each row of a row-major [rows, cols] matrix. */
function rowNorms(values: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < cols; c++) s += values[r * cols + c]! * values[r * cols + c]!;
    out[r] = s;
  }
  return out;
}

class ClassifierGraph {
  readonly g = new GraphBuilder();

  constructor(
    readonly dims: number,
    readonly classes: number,
  ) {}

  /** x·Mᵀ + b for M [units, inputs] stored row-major, as the classifiers store their weights. */
  affine(x: string, weights: ArrayLike<number>, bias: ArrayLike<number>, units: number, inputs: number, hint: string): string {
    const w = this.g.doubles(`${hint}/weights`, transposed(weights, units, inputs), [inputs, units]);
    const product = this.g.node('MatMul', [x, w], `${hint}_matmul`);
    return this.g.node('Add', [product, this.g.doubles(`${hint}/bias`, bias, [units])], hint);
  }

  /** ‖x_i − t_j‖² for the rows t_j of `points` [count, dims]: [batch, count], as ‖x‖² + ‖t‖² − 2 x·t. */
  squaredDistances(x: string, points: ArrayLike<number>, count: number, hint: string): string {
    const g = this.g;
    const axes = g.int64s(g.fresh(`${hint}_axes`), [1]);
    const inputNorms = g.node('ReduceSum', [g.node('Mul', [x, x], `${hint}_squares`), axes], `${hint}_input_norms`, [int('keepdims', 1)]);
    const pointNorms = g.doubles(`${hint}/norms`, rowNorms(points, count, this.dims), [count]);
    const dots = g.node(
      'MatMul',
      [x, g.doubles(`${hint}/points`, transposed(points, count, this.dims), [this.dims, count])],
      `${hint}_dots`,
    );
    const twice = g.node('Mul', [dots, g.doubles(`${hint}/two`, [2], [])], `${hint}_twice`);
    return g.node('Sub', [g.node('Add', [inputNorms, pointNorms], `${hint}_norms`), twice], hint);
  }

  /** Each class's Platt sigmoid of its decision value, floored, normalised over the classes. */
  platt(decisions: string, platt: SvmParameters['platt']): string {
    const g = this.g;
    const a = g.doubles(
      'platt/a',
      platt.map((s) => s.a),
      [this.classes],
    );
    const b = g.doubles(
      'platt/b',
      platt.map((s) => s.b),
      [this.classes],
    );
    const z = g.node('Add', [g.node('Mul', [decisions, a], 'platt_scaled'), b], 'platt_z');
    const p = g.node('Sigmoid', [g.node('Neg', [z], 'platt_minus_z')], 'platt_sigmoid');
    const floored = g.node('Max', [p, g.doubles('platt/floor', [PLATT_FLOOR], [])], 'platt_floored');
    return this.normalise(floored, 'platt');
  }

  normalise(scores: string, hint: string): string {
    const axes = this.g.int64s(this.g.fresh(`${hint}_axes`), [1]);
    const total = this.g.node('ReduceSum', [scores, axes], `${hint}_total`, [int('keepdims', 1)]);
    return this.g.node('Div', [scores, total], `${hint}_normalised`);
  }

  softmax(scores: string): string {
    return this.g.node('Softmax', [scores], 'softmax', [int('axis', 1)]);
  }

  svm(x: string, p: SvmParameters): string {
    if (p.kernel === 'linear') return this.platt(this.affine(x, p.weights, p.bias, this.classes, this.dims, 'decisions'), p.platt);
    const g = this.g;
    const count = p.supportVectors.length / this.dims;
    const distances = g.node(
      'Max',
      [this.squaredDistances(x, p.supportVectors, count, 'distances'), g.doubles('zero', [0], [])],
      'distances_clamped',
    );
    const exponent = g.node('Mul', [distances, g.doubles('minus_gamma', [-p.gamma], [])], 'exponent');
    const kernel = g.node('Add', [g.node('Exp', [exponent], 'rbf'), g.doubles('one', [1], [])], 'kernel');
    // The workbench holds kernel values in float32 (models/classical/svm.ts kernelMatrix).
    const rounded = g.node('Cast', [g.node('Cast', [kernel], 'kernel_float32', [int('to', FLOAT)])], 'kernel_rounded', [int('to', DOUBLE)]);
    const coefficients = g.doubles('coefficients', transposed(p.coefficients, this.classes, count), [count, this.classes]);
    return this.platt(g.node('MatMul', [rounded, coefficients], 'decisions'), p.platt);
  }

  knn(x: string, p: KnnParameters): string {
    const g = this.g;
    const count = p.y.length;
    const distances = this.squaredDistances(x, p.x, count, 'distances');
    const k = g.int64s('k', [Math.min(p.k, count)]);
    const [, nearest] = g.nodeOutputs('TopK', [distances, k], 'nearest', 2, [int('axis', 1), int('largest', 0), int('sorted', 1)]);
    // Row j: training vector j's vote, its class weight at its class.
    const votes = new Float64Array(count * this.classes);
    p.y.forEach((label, j) => (votes[j * this.classes + label] = p.classWeights[label]!));
    const gathered = g.node('Gather', [g.doubles('votes', votes, [count, this.classes]), nearest!], 'neighbour_votes', [int('axis', 0)]);
    const tally = g.node('ReduceSum', [gathered, g.int64s('neighbour_axis', [1])], 'tally', [int('keepdims', 0)]);
    return this.normalise(tally, 'votes');
  }

  logreg(x: string, p: LogregParameters): string {
    return this.softmax(this.affine(x, p.weights, p.bias, this.classes, this.dims, 'scores'));
  }

  mlp(x: string, p: MlpParameters): string {
    const { hidden } = p;
    const d = this.dims;
    const w2 = hidden * d + hidden;
    const b2 = w2 + this.classes * hidden;
    const layer1 = this.affine(x, p.params.slice(0, hidden * d), p.params.slice(hidden * d, w2), hidden, d, 'hidden');
    const relu = this.g.node('Relu', [layer1], 'hidden_relu');
    return this.softmax(this.affine(relu, p.params.slice(w2, b2), p.params.slice(b2), this.classes, hidden, 'scores'));
  }
}

/** A classifier file as ONNX: standardised vectors [batch, dims] -> probabilities [batch, classes]. */
export function classifierToOnnx(file: ClassifierFile): OnnxExport {
  const graph = new ClassifierGraph(file.dims, file.numClasses);
  const x = graph.g.node('Cast', ['features'], 'features_double', [int('to', DOUBLE)]);
  const parameters: unknown = file.parameters;
  let probabilities: string;
  switch (file.model) {
    case 'svm-linear':
    case 'svm-rbf':
      probabilities = graph.svm(x, parameters as SvmParameters);
      break;
    case 'knn':
      probabilities = graph.knn(x, parameters as KnnParameters);
      break;
    case 'logreg':
      probabilities = graph.logreg(x, parameters as LogregParameters);
      break;
    case 'mlp':
      probabilities = graph.mlp(x, parameters as MlpParameters);
      break;
  }
  graph.g.named('Cast', [probabilities], 'probabilities', [int('to', FLOAT)]);
  const inputs = [{ name: 'features', shape: ['batch', file.dims] }];
  const output = { name: 'probabilities', shape: ['batch', file.numClasses] };
  return { bytes: graph.g.encode(file.model, inputs, output), inputs, output, inputKind: 'vector', framesFixedBy: null };
}
