/**
 * Finds the rows of a file that occur more than once, in fixed memory: the first pass marks each
 * row's fingerprint in a "seen" bitset and, when already marked, in a "repeated" one (two small
 * Bloom filters). The second pass counts occurrences only of rows the filter says may repeat, so
 * the exact counts live in a map the size of the repeats (plus a few false positives), not of the
 * file. False positives cost a map entry, never a wrong id; there are no false negatives.
 */
export class RepeatFilter {
  private readonly seen: Uint8Array;
  private readonly repeated: Uint8Array;
  private readonly mask: number;

  /** `bits` per set, a power of two; 2^25 (4 MiB each) keeps false positives near 1% at 3 million rows. */
  constructor(bits = 2 ** 25) {
    if (!Number.isInteger(Math.log2(bits))) throw new RangeError(`bits must be a power of two, got ${bits}`);
    this.seen = new Uint8Array(bits / 8);
    this.repeated = new Uint8Array(bits / 8);
    this.mask = bits - 1;
  }

  /** First pass: record one occurrence. */
  add(fingerprint: string): void {
    const positions = this.positions(fingerprint);
    if (positions.every((p) => this.test(this.seen, p))) for (const p of positions) this.set(this.repeated, p);
    else for (const p of positions) this.set(this.seen, p);
  }

  /** Second pass: false means the row certainly occurs once. */
  mayRepeat(fingerprint: string): boolean {
    return this.positions(fingerprint).every((p) => this.test(this.repeated, p));
  }

  /** The filter's state, to carry it from one invocation to the next. */
  toBytes(): Uint8Array {
    const bytes = new Uint8Array(this.seen.length * 2);
    bytes.set(this.seen, 0);
    bytes.set(this.repeated, this.seen.length);
    return bytes;
  }

  static fromBytes(bytes: Uint8Array): RepeatFilter {
    const filter = new RepeatFilter((bytes.length / 2) * 8);
    filter.seen.set(bytes.subarray(0, bytes.length / 2));
    filter.repeated.set(bytes.subarray(bytes.length / 2));
    return filter;
  }

  /**
   * From the first-pass filters of a file's chunks: a filter whose mayRepeat(f) is true whenever
   * f occurs in two or more chunks (each of f's bits is then set in two chunks' "seen" sets).
   * It depends on f only, not on the chunk asking, so every chunk holding f decides alike.
   */
  static acrossChunks(filters: Iterable<RepeatFilter>): RepeatFilter {
    let across: RepeatFilter | undefined;
    for (const filter of filters) {
      across ??= new RepeatFilter(filter.seen.length * 8);
      across.addChunk(filter);
    }
    return across ?? new RepeatFilter(8);
  }

  /** Folds one more chunk's first-pass filter into a filter built by acrossChunks (one chunk in memory at a time). */
  addChunk(filter: RepeatFilter): void {
    if (filter.seen.length !== this.seen.length) throw new RangeError('chunk filters differ in size');
    for (let i = 0; i < filter.seen.length; i++) {
      const bits = filter.seen[i] ?? 0;
      this.repeated[i] = (this.repeated[i] ?? 0) | ((this.seen[i] ?? 0) & bits);
      this.seen[i] = (this.seen[i] ?? 0) | bits;
    }
  }

  private positions(text: string): [number, number, number] {
    // Two FNV-1a hashes combined (Kirsch–Mitzenmacher) give three positions.
    let h1 = 0x811c9dc5;
    let h2 = 0x01000193;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    }
    return [h1 & this.mask, (h1 + h2) & this.mask, (h1 + 2 * h2) & this.mask];
  }

  private test(bits: Uint8Array, p: number): boolean {
    return ((bits[p >>> 3] ?? 0) & (1 << (p & 7))) !== 0;
  }

  private set(bits: Uint8Array, p: number): void {
    bits[p >>> 3] = (bits[p >>> 3] ?? 0) | (1 << (p & 7));
  }
}
