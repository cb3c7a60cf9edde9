/**
 * The inputs the host engine was sent, kept by the SHA-1 of their bytes so that a later run on the
 * same input needs only the key: on a 2-core machine the 602 KB of a 224×224 picture took ~165 of a
 * ResNet-18 run's ~195 ms round trip through the webview messaging, the forward pass ~29.
 * The key is computed here from the bytes received, never taken on trust from the sender.
 */
import { createHash } from "node:crypto";
import { INPUT_NOT_KEPT, type NativeTensor, type SentTensor } from "../../protocol/messages";

/** A few pictures' worth: the last inputs of each open Run tab, not a cache of everything run. */
const MAX_BYTES = 64 * 1024 * 1024;

export class KeptInputs {
  /** Insertion order is recency order (a hit is moved to the end). */
  private readonly kept = new Map<string, Uint8Array>();
  private bytes = 0;

  /** The tensors to run: sent bytes are kept under their hash; a key alone finds what was kept. */
  resolve(sent: readonly SentTensor[]): NativeTensor[] {
    return sent.map((t) => {
      const { name, dtype, dims } = t;
      if (t.bytes !== undefined) {
        // A webview that serialised the array sends its numbers: bytes again, as toFeed reads them.
        const sentBytes =
          t.bytes instanceof Uint8Array ? t.bytes : new Uint8Array(t.bytes as ArrayLike<number>);
        const key = sha1(sentBytes);
        if (t.key !== undefined && t.key !== key)
          throw new Error(`input "${name}": its key does not match its bytes`);
        this.keep(key, sentBytes);
        return { name, dtype, dims, bytes: sentBytes };
      }
      const bytes = t.key === undefined ? undefined : this.kept.get(t.key);
      if (t.key === undefined || bytes === undefined) throw new Error(INPUT_NOT_KEPT);
      this.kept.delete(t.key);
      this.kept.set(t.key, bytes);
      return { name, dtype, dims, bytes };
    });
  }

  private keep(key: string, bytes: Uint8Array): void {
    const known = this.kept.get(key);
    if (known !== undefined) {
      this.kept.delete(key);
      this.bytes -= known.byteLength;
    }
    this.kept.set(key, bytes);
    this.bytes += bytes.byteLength;
    for (const [k, b] of this.kept) {
      if (this.bytes <= MAX_BYTES || k === key) break;
      this.kept.delete(k);
      this.bytes -= b.byteLength;
    }
  }
}

export function sha1(bytes: Uint8Array): string {
  return createHash("sha1").update(bytes).digest("hex");
}
