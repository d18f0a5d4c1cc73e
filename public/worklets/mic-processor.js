// Runs on the audio rendering thread: turns the microphone's native-rate input into 16 kHz mono PCM16 in 20 ms
// frames and detects speech by energy, so the page only receives ready-made frames and speech start/end.
const TARGET_RATE = 16000;
const FRAME = 320; // 20 ms at 16 kHz
const MIN_SPEECH_FRAMES = 3; // 60 ms of voice before speech "starts": clicks and taps do not count
const FLOOR_RMS = 0.012; // about -38 dBFS: quieter than any speech, louder than a quiet room

class MicProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const silenceMs = options?.processorOptions?.silenceMs ?? 700;
    this.hangoverFrames = Math.round(silenceMs / 20);
    this.ratio = sampleRate / TARGET_RATE;
    this.phase = 0;
    this.sum = 0;
    this.count = 0;
    this.frame = new Int16Array(FRAME);
    this.length = 0;
    this.energy = 0;
    this.noise = FLOOR_RMS / 3;
    this.speaking = false;
    this.voicedRun = 0;
    this.silentRun = 0;
  }

  process(inputs) {
    const channels = inputs[0];
    if (!channels || channels.length === 0) return true;
    const n = channels[0].length;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (const ch of channels) s += ch[i];
      // Averaging every input sample that falls in one output sample is a cheap low-pass before decimation.
      this.sum += s / channels.length;
      this.count++;
      this.phase += 1;
      if (this.phase >= this.ratio) {
        this.phase -= this.ratio;
        this.push(this.sum / this.count);
        this.sum = 0;
        this.count = 0;
      }
    }
    return true;
  }

  push(value) {
    const v = Math.max(-1, Math.min(1, value));
    this.frame[this.length++] = Math.round(v * 32767);
    this.energy += v * v;
    if (this.length === FRAME) this.endFrame();
  }

  endFrame() {
    const rms = Math.sqrt(this.energy / FRAME);
    const voiced = rms > Math.max(FLOOR_RMS, this.noise * 3);
    // The noise floor follows only unvoiced frames, so a long answer does not raise the bar for the next one.
    if (!voiced) this.noise = this.noise * 0.95 + rms * 0.05;
    if (!this.speaking) {
      this.voicedRun = voiced ? this.voicedRun + 1 : 0;
      if (this.voicedRun >= MIN_SPEECH_FRAMES) {
        this.speaking = true;
        this.silentRun = 0;
        this.port.postMessage({ type: "speechstart" });
      }
    }
    this.port.postMessage({ type: "pcm", pcm: this.frame, rms }, [this.frame.buffer]);
    if (this.speaking) {
      this.silentRun = voiced ? 0 : this.silentRun + 1;
      if (this.silentRun >= this.hangoverFrames) {
        this.speaking = false;
        this.voicedRun = 0;
        this.port.postMessage({ type: "speechend" });
      }
    }
    this.frame = new Int16Array(FRAME);
    this.length = 0;
    this.energy = 0;
  }
}

registerProcessor("mic-processor", MicProcessor);
