/**
 * Adding suppression entries, and nothing else: what the public unsubscribe endpoint may do. Its
 * role may only put items whose key starts SUPPRESS# (a dynamodb:LeadingKeys condition).
 */
export interface SuppressionWriter {
  /** SUPPRESS#<emailHash>: this address is never mailed again. */
  suppressAddress(emailHash: string, reason: 'unsubscribed', now: Date): Promise<void>;
  /** SUPPRESS#ID#<customerIdHash>: this customer is never mailed again, at any address. */
  suppressCustomer(customerIdHash: string, reason: 'unsubscribed', now: Date): Promise<void>;
}
