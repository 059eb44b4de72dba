/**
 * The ONNX protobuf as the exporters build it (onnx-proto): a graph of nodes and initializers
 * (GraphBuilder), attribute helpers, and the model file around a finished graph, at opset
 * ONNX_OPSET. The network converter (onnxGraph.ts) and the classifier one (classifierGraph.ts)
 * both build on it.
 */
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import type { InputKind } from '../../schema/names';

// onnx-proto is CommonJS whose exports Node's ESM loader cannot name: take them from the default export.
export const { onnx } = onnxProto;
export type { OnnxTypes };

export const ONNX_OPSET = 13;
/** IR version 8 (ONNX 1.10), the newest onnx-proto 8.0.1 describes. */
const IR_VERSION = 8;

/** A graph input or output: its name and shape (a string is a dynamic dimension's name). */
export interface TensorInfo {
  name: string;
  shape: (number | string)[];
}

/** What an exporter returns: the encoded model and how to feed it. */
export interface OnnxExport {
  bytes: Uint8Array;
  inputs: TensorInfo[];
  output: TensorInfo;
  /** A feature matrix per clip (features [batch, rows, frames, 1]) or a feature vector (features [batch, dims]). */
  inputKind: InputKind;
  /** The layer that fixes the number of frames, or null when it is a dynamic dimension (or there are no frames). */
  framesFixedBy: string | null;
}

export class GraphBuilder {
  readonly nodes: OnnxTypes.INodeProto[] = [];
  readonly initializers: OnnxTypes.ITensorProto[] = [];
  private counter = 0;

  fresh(hint: string): string {
    return `${hint}__${this.counter++}`;
  }

  node(opType: string, inputs: string[], hint: string, attributes: OnnxTypes.IAttributeProto[] = []): string {
    const output = this.fresh(hint);
    this.nodes.push({ opType, input: inputs, output: [output], name: output, attribute: attributes });
    return output;
  }

  /** A node with several outputs (TopK's values and indices). */
  nodeOutputs(opType: string, inputs: string[], hint: string, count: number, attributes: OnnxTypes.IAttributeProto[] = []): string[] {
    const outputs = Array.from({ length: count }, (_, i) => this.fresh(`${hint}_${i}`));
    this.nodes.push({ opType, input: inputs, output: outputs, name: outputs[0]!, attribute: attributes });
    return outputs;
  }

  /** A node whose output has exactly this name (a graph output). */
  named(opType: string, inputs: string[], output: string, attributes: OnnxTypes.IAttributeProto[] = []): string {
    this.nodes.push({ opType, input: inputs, output: [output], name: output, attribute: attributes });
    return output;
  }

  floats(name: string, values: ArrayLike<number>, dims: number[]): string {
    this.initializers.push({ name, dataType: onnx.TensorProto.DataType.FLOAT, dims, floatData: Array.from(values) });
    return name;
  }

  /** Stored as raw little-endian bytes: a k-NN or RBF SVM holds its training vectors here, possibly many. */
  doubles(name: string, values: ArrayLike<number>, dims: number[]): string {
    const rawData = new Uint8Array(Float64Array.from(values).buffer);
    this.initializers.push({ name, dataType: onnx.TensorProto.DataType.DOUBLE, dims, rawData });
    return name;
  }

  int64s(name: string, values: number[]): string {
    this.initializers.push({ name, dataType: onnx.TensorProto.DataType.INT64, dims: [values.length], int64Data: values });
    return name;
  }

  /** The model file: this graph with float32 inputs and output. */
  encode(graphName: string, inputs: TensorInfo[], output: TensorInfo): Uint8Array {
    const valueInfo = (v: TensorInfo): OnnxTypes.IValueInfoProto => ({
      name: v.name,
      type: {
        tensorType: {
          elemType: onnx.TensorProto.DataType.FLOAT,
          shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
        },
      },
    });
    const proto = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: 'ser-workbench',
      opsetImport: [{ domain: '', version: ONNX_OPSET }],
      graph: {
        name: graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: inputs.map(valueInfo),
        output: [valueInfo(output)],
      },
    });
    return onnx.ModelProto.encode(proto).finish();
  }
}

export const ints = (name: string, values: number[]): OnnxTypes.IAttributeProto => ({
  name,
  type: onnx.AttributeProto.AttributeType.INTS,
  ints: values,
});
export const int = (name: string, value: number): OnnxTypes.IAttributeProto => ({
  name,
  type: onnx.AttributeProto.AttributeType.INT,
  i: value,
});
export const float = (name: string, value: number): OnnxTypes.IAttributeProto => ({
  name,
  type: onnx.AttributeProto.AttributeType.FLOAT,
  f: value,
});
export const floatList = (name: string, values: number[]): OnnxTypes.IAttributeProto => ({
  name,
  type: onnx.AttributeProto.AttributeType.FLOATS,
  floats: values,
});
export const str = (name: string, value: string): OnnxTypes.IAttributeProto => ({
  name,
  type: onnx.AttributeProto.AttributeType.STRING,
  s: new TextEncoder().encode(value),
});
