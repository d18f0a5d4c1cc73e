/**
 * JSON for jobs that cross Redis: PCM (Int16Array) and images (Uint8Array) travel as base64, everything else as
 * plain JSON. BullMQ stores job data and results as JSON strings, which would turn typed arrays into objects.
 */
export function toWire(value: unknown): string {
  return JSON.stringify(value, (_key, v) => {
    if (v instanceof Int16Array) return { $i16: base64(v) };
    if (v instanceof Uint8Array) return { $u8: base64(v) };
    return v;
  });
}

export function fromWire<T>(text: string): T {
  return JSON.parse(text, (_key, v) => {
    if (v && typeof v === "object") {
      if (typeof v.$u8 === "string") return new Uint8Array(Buffer.from(v.$u8, "base64"));
      if (typeof v.$i16 === "string") {
        const bytes = Buffer.from(v.$i16, "base64");
        // Copy into an aligned buffer: Buffer pools may start at an odd offset.
        const out = new Int16Array(bytes.byteLength / 2);
        new Uint8Array(out.buffer).set(bytes);
        return out;
      }
    }
    return v;
  }) as T;
}

function base64(v: ArrayBufferView): string {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64");
}
