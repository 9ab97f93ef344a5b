import { cleanEmail } from './clean.ts';
import { emailHash } from './privacy.ts';

/** Who an erasure is about: their ids (canonical and merged) and the hashes of every address they had. */
export interface ErasureTarget {
  readonly ids: ReadonlySet<string>;
  readonly addressHashes: ReadonlySet<string>;
}

/** Pieces of a cell that may be an address: "Ada <ada@example.com>", "mailto:ada@example.com", a JSON value. */
const SEPARATORS = /[\s,;<>"'()[\]{}|]+|mailto:/i;

/**
 * Whether one row of an upload is about the erased customer: its customer-id cell is one of their
 * ids, or any cell holds an address whose hash is one of theirs. Addresses are compared by hash, so
 * the old addresses, of which strata keeps only hashes, are found too.
 */
export function rowMentions(cells: readonly (string | undefined)[], idCell: string | undefined, target: ErasureTarget): boolean {
  if (idCell !== undefined && target.ids.has(idCell.trim())) return true;
  for (const cell of cells) {
    if (cell === undefined || !cell.includes('@')) continue;
    for (const piece of cell.split(SEPARATORS)) {
      if (piece.includes('@') && target.addressHashes.has(emailHash(cleanEmail(piece) ?? piece))) return true;
    }
  }
  return false;
}
