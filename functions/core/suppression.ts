/**
 * What the suppression list holds about one customer: entries keyed by the hash of an address they
 * have had (SUPPRESS#<emailHash>) or by one of their ids, canonical or merged (SUPPRESS#ID#<hash>).
 */
export interface SuppressionEntry {
  readonly scope: 'address' | 'id';
  /** emailHash or customerIdHash, never the address or id itself. */
  readonly hash: string;
  readonly reason: string;
  readonly at: string;
  /** For an address entry: the address the customer holds now (false: one they had before). */
  readonly current?: boolean;
}

/** Reasons that speak for the person, whatever address they use now. */
const PERSONAL_REASONS = new Set(['erased', 'unsubscribed', 'complained']);

/**
 * The entry that keeps a customer from being mailed, or undefined: an id entry (unsubscribed or
 * erased), an unsubscribe, complaint or erasure of an address they have had at some time, or a bounce
 * of the current address. A bounce of an old address only says that address is dead, so it does not block the new one.
 */
export function blockingSuppression(entries: readonly SuppressionEntry[]): SuppressionEntry | undefined {
  return (
    entries.find((e) => e.scope === 'id') ??
    entries.find((e) => e.scope === 'address' && (PERSONAL_REASONS.has(e.reason) || e.current === true))
  );
}
