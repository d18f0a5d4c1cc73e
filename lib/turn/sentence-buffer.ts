/**
 * Cuts a streaming answer into sentences as soon as each is complete, so the first can be spoken while the model
 * is still writing the second. A sentence ends at . ! ? (then a space) or 。！？; (Chinese, no space needed),
 * with any citation markers such as "[2]" after the stop kept on the sentence they cite.
 */
export class SentenceBuffer {
  private text = "";

  push(delta: string): string[] {
    this.text += delta;
    const out: string[] = [];
    const boundary =
      /[.!?](?:\s*\[\d+(?:[,，、]\s*\d+)*\])*\s+(?!\[\d)|[。！？；](?:\s*\[\d+(?:[,，、]\s*\d+)*\])*(?!\s*\[\d)/g;
    let cut = 0;
    for (let m = boundary.exec(this.text); m; m = boundary.exec(this.text)) {
      // A stop at the very end may still be followed by a citation in the next delta: wait for more text.
      if (m.index + m[0].length >= this.text.length) break;
      const sentence = this.text.slice(cut, m.index + m[0].length).trim();
      if (sentence) out.push(sentence);
      cut = m.index + m[0].length;
    }
    this.text = this.text.slice(cut);
    return out;
  }

  /** Whatever is left when the answer ends. */
  flush(): string[] {
    const rest = this.text.trim();
    this.text = "";
    return rest ? [rest] : [];
  }
}
