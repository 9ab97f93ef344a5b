/**
 * What DynamoDB refuses at write time, checked before anything is written: an item over 400 KB, a
 * key attribute over its limit, a number it cannot store. Sizes follow DynamoDB's rules (attribute
 * names and values in UTF-8; a map or list costs 3 bytes plus 1 per element) and never undercount:
 * every number is taken at the largest size one can have.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
 */
const MAX_ITEM_BYTES = 400 * 1024;
/** Partition and sort key values, in bytes. */
const MAX_KEY_BYTES = { pk: 2048, sk: 1024 } as const;
/** A stored number takes at most 21 bytes (38 significant digits). */
const NUMBER_BYTES = 21;

const TOO_LARGE = 'row too large for one item';
const KEY_TOO_LONG = 'id too long for a key';
const NUMBER_OUT_OF_RANGE = 'number out of range for storage';

/** The size DynamoDB charges for an item, rounded up (undefined attributes are not stored). */
function itemBytes(item: Readonly<Record<string, unknown>>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) if (value !== undefined) bytes += utf8(name) + valueBytes(value);
  return bytes;
}

function valueBytes(value: unknown): number {
  if (typeof value === 'string') return utf8(value);
  if (typeof value === 'number' || typeof value === 'bigint') return NUMBER_BYTES;
  if (typeof value === 'boolean' || value === null) return 1;
  if (Array.isArray(value)) return 3 + value.reduce<number>((n, v) => n + 1 + valueBytes(v), 0);
  if (value instanceof Uint8Array) return value.byteLength;
  if (typeof value === 'object') {
    let bytes = 3;
    for (const [name, v] of Object.entries(value)) if (v !== undefined) bytes += 1 + utf8(name) + valueBytes(v);
    return bytes;
  }
  return 0;
}

/**
 * Why DynamoDB would refuse this item, or undefined. `reserve` is room for what is not known yet
 * (the file key stored beside a ledger row, a canonical id longer than the row's own).
 */
export function writeProblem(item: Readonly<Record<string, unknown>>, reserve: number): string | undefined {
  if (utf8(String(item.pk)) > MAX_KEY_BYTES.pk || utf8(String(item.sk)) > MAX_KEY_BYTES.sk) return KEY_TOO_LONG;
  if (!numbersStorable(item)) return NUMBER_OUT_OF_RANGE;
  if (itemBytes(item) + reserve > MAX_ITEM_BYTES) return TOO_LARGE;
  return undefined;
}

/** The SDK refuses NaN, infinities and integers beyond 2^53 (they would lose digits). */
function numbersStorable(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value) && Math.abs(value) <= Number.MAX_SAFE_INTEGER;
  if (Array.isArray(value)) return value.every(numbersStorable);
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) return Object.values(value).every(numbersStorable);
  return true;
}

function utf8(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
