import "server-only";
import { writeFile } from "node:fs/promises";
import onnxProto, { type onnx as Onnx } from "onnx-proto";
import { encodeModel, FLOAT, floatTensor, valueInfo } from "@/lib/testing/onnx-graph";

// onnx-proto is CommonJS with a single `module.exports` object: Node's ESM loader only sees the default export.
const { onnx } = onnxProto;

/**
 * A tiny ONNX graph with a Wav2Lip export's interface (`mel` [B,1,80,16], `video` [B,6,96,96] -> [B,3,96,96]),
 * so the engine's whole path runs in tests and benches without real weights. It computes
 * `sigmoid(4 * reference_face - 2 + mean(mel) / 2)`: the face recoloured, brighter as the audio gets louder.
 */
export interface TinyWav2LipShape {
  mel: string;
  face: string;
  output: string;
  /** A number fixes the batch dimension, as some exports do. */
  batch: number | string;
}

const DEFAULT_SHAPE: TinyWav2LipShape = { mel: "mel", face: "video", output: "output", batch: "batch" };

/** The model's bytes. `shape` renames the inputs/output and fixes the batch, to test the engine's mapping. */
export function tinyWav2LipModel(shape: Partial<TinyWav2LipShape> = {}): Uint8Array {
  const { mel, face, output, batch } = { ...DEFAULT_SHAPE, ...shape };
  // 1x1 conv: output channel c = 4 * input channel 3 + c (the unmasked reference face), bias -2.
  const convWeights = new Float32Array(3 * 6);
  for (let c = 0; c < 3; c++) convWeights[c * 6 + 3 + c] = 4;
  const melProjection = new Float32Array(80 * 16 * 3).fill(0.5 / (80 * 16));

  const graph: Onnx.IGraphProto = {
    name: "tiny_wav2lip",
    input: [valueInfo(mel, FLOAT, [batch, 1, 80, 16]), valueInfo(face, FLOAT, [batch, 6, 96, 96])],
    output: [valueInfo(output, FLOAT, [batch, 3, 96, 96])],
    initializer: [
      floatTensor("conv_w", [3, 6, 1, 1], convWeights),
      floatTensor("conv_b", [3], new Float32Array([-2, -2, -2])),
      floatTensor("mel_w", [80 * 16, 3], melProjection),
      { name: "mel_shape", dims: [4], dataType: onnx.TensorProto.DataType.INT64, int64Data: [-1, 3, 1, 1] },
    ],
    node: [
      { opType: "Conv", input: [face, "conv_w", "conv_b"], output: ["face_mix"] },
      { opType: "Flatten", input: [mel], output: ["mel_flat"], attribute: [{ name: "axis", i: 1, type: 2 }] },
      { opType: "MatMul", input: ["mel_flat", "mel_w"], output: ["mel_proj"] },
      { opType: "Reshape", input: ["mel_proj", "mel_shape"], output: ["mel_bias"] },
      { opType: "Add", input: ["face_mix", "mel_bias"], output: ["logits"] },
      { opType: "Sigmoid", input: ["logits"], output: [output] },
    ],
  };
  return encodeModel(graph);
}

export async function writeTinyWav2LipModel(path: string, shape: Partial<TinyWav2LipShape> = {}): Promise<void> {
  await writeFile(path, tinyWav2LipModel(shape));
}
