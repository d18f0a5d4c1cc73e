import "server-only";
import { mkdir, writeFile } from "node:fs/promises";
import type { onnx as Onnx } from "onnx-proto";
import { piperVoiceFiles } from "@/lib/speech/tts/choice";
import { encodeModel, FLOAT, floatTensor, INT64, valueInfo } from "@/lib/testing/onnx-graph";

/**
 * Piper's symbol table for espeak voices, in its order (id = index): the specials, punctuation, then the IPA
 * letters, marks and diacritics espeak-ng emits, so an English (or Mandarin) sentence maps with nothing missing.
 */
const SYMBOLS = [
  ..."_^$ !'(),-.:;?abcdefhijklmnopqrstuvwxyzæçðøħŋœǀǁǂǃɐɑɒɓɔɕɖɗɘəɚɛɜɞɟɠɡɢɣɤɥɦɧɨɪɫɬɭɮɯɰɱɲɳɴɵɶɸɹɺɻɽɾʀʁʂʃʄʈʉʊʋʌʍʎʏʐʑʒʔʕʘʙʛʜʝʟʡʢʲˈˌːˑ˞βθχᵻⱱ0123456789",
  "\u0327",
  "\u0303",
  "\u032a",
  "\u032f",
  "\u0329",
  ...'ʰˤε↓#"↑',
  "\u033a",
  "\u033b",
  "g",
  "ɝ",
  ..."˥˦˧˨˩",
];

export interface TinyPiperVoiceOptions {
  /** `audio.sample_rate` of the config; the audio is this many samples per second whatever it holds. */
  sampleRate?: number;
  /** `espeak.voice`; `language.code` follows it ("en-us" -> en_US, "cmn" -> zh_CN). */
  espeakVoice?: string;
  /** Samples per input id (the real models' hop is 256 samples per frame, several frames a phoneme). */
  hop?: number;
  /** Also output `durations` [1, N]: each id's length in samples, as exports with durations report them. */
  durations?: boolean;
  /** Audio as [1, S] instead of [1, 1, 1, S]. */
  flatOutput?: boolean;
  /** Above 1, the model takes a `sid` input as multi-speaker voices do. */
  speakers?: number;
}

/**
 * Writes `<dir>/<voice>.onnx` and `<voice>.onnx.json`: a tiny voice with a Piper export's interface (`input` int64
 * [1, N], `input_lengths` [1], `scales` [3] -> float audio) so the engine's whole path runs without real weights.
 * Every id becomes `hop` samples of a tone whose loudness grows with the id: PAD (0) is silent, so the audio is
 * choppy but its length follows the phonemes exactly. Returns the voice's files.
 */
export async function writeTinyPiperVoice(
  dir: string,
  voice: string,
  options: TinyPiperVoiceOptions = {},
): Promise<{ model: string; config: string }> {
  const { sampleRate = 16_000, espeakVoice = "en-us", hop = 256, speakers = 1 } = options;
  const files = piperVoiceFiles(dir, voice);
  const code = espeakVoice.startsWith("cmn") || espeakVoice.startsWith("zh") ? "zh_CN" : "en_US";
  await mkdir(dir, { recursive: true });
  await Promise.all([
    writeFile(files.model, tinyPiperModel({ ...options, hop, speakers })),
    writeFile(
      files.config,
      JSON.stringify(
        {
          dataset: voice,
          audio: { sample_rate: sampleRate, quality: "x_low" },
          espeak: { voice: espeakVoice },
          language: { code },
          inference: { noise_scale: 0.667, length_scale: 1, noise_w: 0.8 },
          phoneme_type: "espeak",
          phoneme_map: {},
          phoneme_id_map: Object.fromEntries(SYMBOLS.map((s, i) => [s, [i]])),
          num_symbols: SYMBOLS.length,
          num_speakers: speakers,
          speaker_id_map: {},
          piper_version: "1.0.0",
        },
        null,
        2,
      ),
    ),
  ]);
  return files;
}

function tinyPiperModel(options: TinyPiperVoiceOptions & { hop: number; speakers: number }): Uint8Array {
  const { hop, speakers, durations, flatOutput } = options;
  // A whole number of periods per id keeps the tone continuous from one id to the next.
  const carrier = Float32Array.from({ length: hop }, (_, i) => Math.sin((2 * Math.PI * 4 * i) / hop));
  const inputs = [
    valueInfo("input", INT64, [1, "phonemes"]),
    valueInfo("input_lengths", INT64, [1]),
    valueInfo("scales", FLOAT, [3]),
    ...(speakers > 1 ? [valueInfo("sid", INT64, [1])] : []),
  ];
  const outputs = [valueInfo("output", FLOAT, flatOutput ? [1, "samples"] : [1, 1, 1, "samples"])];
  const nodes: Onnx.INodeProto[] = [
    { opType: "Cast", input: ["input"], output: ["ids"], attribute: [{ name: "to", i: FLOAT, type: 2 }] },
    { opType: "Mul", input: ["ids", "loudness"], output: ["amplitude"] },
    { opType: "Unsqueeze", input: ["amplitude", "last_axis"], output: ["amplitude_column"] },
    // [1, N, 1] broadcast to [1, N, hop]: the audio's length follows the number of ids.
    { opType: "Expand", input: ["amplitude_column", "hop_shape"], output: ["envelope"] },
    { opType: "Mul", input: ["envelope", "carrier"], output: ["frames"] },
    { opType: "Reshape", input: ["frames", "output_shape"], output: ["output"] },
  ];
  if (durations) {
    outputs.push(valueInfo("durations", FLOAT, [1, "phonemes"]));
    nodes.push(
      { opType: "Mul", input: ["ids", "zero"], output: ["no_length"] },
      { opType: "Add", input: ["no_length", "hop_length"], output: ["durations"] },
    );
  }
  const graph: Onnx.IGraphProto = {
    name: "tiny_piper",
    input: inputs,
    output: outputs,
    initializer: [
      floatTensor("loudness", [], Float32Array.of(1 / SYMBOLS.length)),
      floatTensor("carrier", [1, 1, hop], carrier),
      ...(durations
        ? [floatTensor("zero", [], Float32Array.of(0)), floatTensor("hop_length", [], Float32Array.of(hop))]
        : []),
      { name: "last_axis", dims: [1], dataType: INT64, int64Data: [2] },
      { name: "hop_shape", dims: [3], dataType: INT64, int64Data: [1, 1, hop] },
      {
        name: "output_shape",
        dims: [flatOutput ? 2 : 4],
        dataType: INT64,
        int64Data: flatOutput ? [1, -1] : [1, 1, 1, -1],
      },
    ],
    node: nodes,
  };
  return encodeModel(graph);
}
