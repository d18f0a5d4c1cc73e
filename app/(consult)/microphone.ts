/** Why the microphone could not start, each with its own message in the UI. */
export type MicErrorKind = "denied" | "missing" | "unavailable" | "failed";

export class MicError extends Error {
  constructor(readonly kind: MicErrorKind) {
    super(kind);
  }
}

export interface MicEvents {
  onSpeechStart: () => void;
  onSpeechEnd: () => void;
  /** Every piece of audio that goes into the recording, in order, as it is kept (for live recognition). */
  onRecorded?: (pcm: Int16Array) => void;
}

const RATE = 16000;
/** Audio kept from before speech was detected, so the first syllable is not clipped. */
const PREROLL_FRAMES = 15; // 300 ms of 20 ms frames
/** Recordings shorter than this are taps or coughs, not questions. */
const MIN_SAMPLES = RATE * 0.3;

function micError(err: unknown): MicError {
  const name = err instanceof DOMException ? err.name : "";
  if (name === "NotAllowedError" || name === "SecurityError") return new MicError("denied");
  if (name === "NotFoundError" || name === "OverconstrainedError" || name === "NotReadableError")
    return new MicError("missing");
  return new MicError("failed");
}

/** 16 kHz mono PCM16 in a RIFF/WAVE container, what the turns route accepts as `audio/wav`. */
export function encodeWav(chunks: Int16Array<ArrayBuffer>[]): Blob {
  const samples = chunks.reduce((n, c) => n + c.length, 0);
  const header = new DataView(new ArrayBuffer(44));
  const text = (offset: number, s: string) => {
    for (let i = 0; i < s.length; i++) header.setUint8(offset + i, s.charCodeAt(i));
  };
  text(0, "RIFF");
  header.setUint32(4, 36 + samples * 2, true);
  text(8, "WAVE");
  text(12, "fmt ");
  header.setUint32(16, 16, true);
  header.setUint16(20, 1, true); // PCM
  header.setUint16(22, 1, true); // mono
  header.setUint32(24, RATE, true);
  header.setUint32(28, RATE * 2, true);
  header.setUint16(32, 2, true);
  header.setUint16(34, 16, true);
  text(36, "data");
  header.setUint32(40, samples * 2, true);
  // Int16Array is little-endian on every platform browsers run on, as WAV requires.
  return new Blob([header, ...chunks], {
    type: "audio/wav",
  });
}

/** The microphone through an AudioWorklet (public/worklets/mic-processor.js): 16 kHz frames plus speech start/end. */
export class Microphone {
  private recorded: Int16Array<ArrayBuffer>[] | null = null;
  private preroll: Int16Array<ArrayBuffer>[] = [];

  private constructor(
    private readonly stream: MediaStream,
    private readonly ctx: AudioContext,
    node: AudioWorkletNode,
    private readonly events: MicEvents,
  ) {
    node.port.onmessage = (e: MessageEvent<{ type: string; pcm?: Int16Array<ArrayBuffer> }>) => {
      const msg = e.data;
      if (msg.type === "pcm" && msg.pcm) {
        if (this.recorded) {
          this.recorded.push(msg.pcm);
          events.onRecorded?.(msg.pcm);
        } else {
          this.preroll.push(msg.pcm);
          if (this.preroll.length > PREROLL_FRAMES) this.preroll.shift();
        }
      } else if (msg.type === "speechstart") events.onSpeechStart();
      else if (msg.type === "speechend") events.onSpeechEnd();
    };
  }

  static async open(events: MicEvents): Promise<Microphone> {
    if (!navigator.mediaDevices?.getUserMedia || typeof AudioWorkletNode === "undefined") {
      throw new MicError("unavailable");
    }
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        // Echo cancellation keeps the avatar's own voice from being heard as the user speaking.
        audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
      });
    } catch (err) {
      throw micError(err);
    }
    const ctx = new AudioContext();
    try {
      await ctx.audioWorklet.addModule("/worklets/mic-processor.js");
      const node = new AudioWorkletNode(ctx, "mic-processor", {
        numberOfInputs: 1,
        numberOfOutputs: 0,
        processorOptions: { silenceMs: 700 },
      });
      ctx.createMediaStreamSource(stream).connect(node);
      return new Microphone(stream, ctx, node, events);
    } catch {
      for (const track of stream.getTracks()) track.stop();
      void ctx.close();
      throw new MicError("failed");
    }
  }

  /** Starts keeping audio, beginning with the last 300 ms heard. */
  begin(): void {
    this.recorded = [...this.preroll];
    this.preroll = [];
    for (const pcm of this.recorded) this.events.onRecorded?.(pcm);
  }

  get recording(): boolean {
    return this.recorded !== null;
  }

  /** Ends the recording: a WAV, or null when it was too short to be a question. */
  finish(): Blob | null {
    const chunks = this.recorded ?? [];
    this.recorded = null;
    const samples = chunks.reduce((n, c) => n + c.length, 0);
    return samples < MIN_SAMPLES ? null : encodeWav(chunks);
  }

  close(): void {
    this.recorded = null;
    for (const track of this.stream.getTracks()) track.stop();
    void this.ctx.close();
  }
}
