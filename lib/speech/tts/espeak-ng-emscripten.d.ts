// The package ships plain Emscripten output without types; this is the part of its API the engine uses.
declare module "@echogarden/espeak-ng-emscripten" {
  export interface EspeakEvent {
    type: "word" | "sentence" | "mark" | "play" | "end" | "msg_terminated" | "phoneme" | "samplerate";
    /** 1-based character position in the input text. */
    text_position: number;
    word_length: number;
    /** Milliseconds from the start of the utterance. */
    audio_position: number;
    id: string | number | undefined;
  }

  export interface EspeakWorker {
    set_voice(name: string): number;
    get_samplerate(): number;
    /** Synthesises synchronously; the callback gets each audio block with its events (return false to go on). */
    synthesize_and_get_phonemes(
      text: string,
      callback: (samples: Int16Array, events: EspeakEvent[]) => boolean,
    ): string;
  }

  export interface EspeakModule {
    eSpeakNGWorker: new () => EspeakWorker;
  }

  const createModule: () => Promise<EspeakModule>;
  export default createModule;
}
