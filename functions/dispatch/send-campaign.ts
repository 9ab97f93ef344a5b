import type { Logger } from '@aws-lambda-powertools/logger';
import { chunk, MAX_BULK_DESTINATIONS, templateName, toBulkEntries, type Campaign, type Recipient } from '../core/campaign.ts';
import type { CustomerStore } from '../adapters/customer-store.ts';
import type { Mailer } from '../adapters/mailer.ts';
import type { FeedbackStore } from '../adapters/feedback-store.ts';
import { emailHash } from '../core/privacy.ts';

export interface SendSummary {
  readonly campaign: string;
  readonly segment: string;
  readonly members: number;
  readonly sent: number;
  readonly failed: number;
  readonly suppressed: number;
  readonly alreadySent: number;
  readonly noAddress: number;
  readonly bulkCalls: number;
  /** True when the sending guard held the campaign back (bounce or complaint rate too high). */
  readonly paused: boolean;
}

export interface SendDeps {
  readonly store: CustomerStore;
  readonly mailer: Mailer;
  /** The sending guard's flag, set by the feedback Lambda. */
  readonly guard: Pick<FeedbackStore, 'sendingPaused'>;
  readonly logger: Logger;
  readonly from: string;
  readonly configurationSet: string | undefined;
  readonly now: Date;
}

/**
 * Sends a campaign's template to every member of its segment. Each send is claimed in the ledger
 * before the call, so a retry or a second trigger never mails the same customer twice.
 */
export async function sendCampaign(deps: SendDeps, campaign: Campaign): Promise<SendSummary> {
  const { store, mailer, logger, now } = deps;
  if (await deps.guard.sendingPaused()) {
    logger.warn('campaign held back: the sending guard has paused sending', { campaign: campaign.name });
    return { campaign: campaign.name, segment: campaign.segment, members: 0, sent: 0, failed: 0, suppressed: 0, alreadySent: 0, noAddress: 0, bulkCalls: 0, paused: true };
  }
  let members = 0, sent = 0, failed = 0, suppressed = 0, alreadySent = 0, noAddress = 0, bulkCalls = 0;
  for await (const ids of store.listSegmentMembers(campaign.segment)) {
    members += ids.length;
    const recipients: Recipient[] = [];
    const contacts = new Map((await store.getContacts(ids)).map((c) => [c.customerId, c.contact]));
    const hashes = [...contacts.values()].flatMap((c) => (c.email ? [emailHash(c.email)] : []));
    const suppressedHashes = await store.suppressedHashes(hashes);
    for (const customerId of ids) {
      const contact = contacts.get(customerId);
      if (!contact?.email) {
        noAddress++;
      } else if (contact.consent === false || suppressedHashes.has(emailHash(contact.email))) {
        suppressed++;
      } else if (!(await store.claimSend(customerId, campaign.name, now))) {
        alreadySent++;
      } else {
        recipients.push({ customerId, email: contact.email, ...(contact.firstName ? { firstName: contact.firstName } : {}) });
      }
    }
    for (const entries of chunk(toBulkEntries(campaign, recipients), MAX_BULK_DESTINATIONS)) {
      bulkCalls++;
      const results = await mailer.sendBulk({
        from: deps.from,
        templateName: templateName(campaign),
        configurationSet: deps.configurationSet,
        entries,
      });
      for (const result of results) {
        if (result.status === 'SUCCESS') sent++;
        else failed++;
        await store.recordSend(result.customerId, campaign.name, result.status, result.messageId);
      }
    }
  }
  const summary = { campaign: campaign.name, segment: campaign.segment, members, sent, failed, suppressed, alreadySent, noAddress, bulkCalls, paused: false };
  logger.info('campaign sent', { ...summary });
  return summary;
}
