/**
 * Building blocks for the tiny ONNX graphs the tests write (sentence embedder, Whisper, Piper, Wav2Lip), so that
 * every engine's real onnxruntime path runs without downloading weights.
 */
import onnxProto, { type onnx as Onnx } from "onnx-proto";

const { onnx } = onnxProto;

export const FLOAT = onnx.TensorProto.DataType.FLOAT;
export const INT64 = onnx.TensorProto.DataType.INT64;
export const BOOL = onnx.TensorProto.DataType.BOOL;

export function floatTensor(name: string, dims: number[], values: Float32Array): Onnx.ITensorProto {
  return { name, dims, dataType: FLOAT, rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) };
}

export function int64Tensor(name: string, dims: number[], values: number[]): Onnx.ITensorProto {
  return { name, dims, dataType: INT64, int64Data: values };
}

/** A graph input or output; string dims are symbolic (e.g. "batch"). */
export function valueInfo(name: string, elemType: number, dims: (number | string)[]): Onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/** An opset-13 model around `graph`, serialised. */
export function encodeModel(graph: Onnx.IGraphProto): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: 7,
    producerName: "avatar-consult",
    opsetImport: [{ domain: "", version: 13 }],
    graph,
  }).finish();
}
