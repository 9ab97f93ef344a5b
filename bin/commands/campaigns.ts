import * as fs from 'node:fs';
import * as path from 'node:path';
import { dynamoDocumentClient, s3Client, sesClient } from '../../functions/adapters/aws-clients.ts';
import { dynamoCampaignStore } from '../../functions/adapters/campaign-store.ts';
import { sesSingleMailer } from '../../functions/adapters/mailer.ts';
import { s3ObjectStore } from '../../functions/adapters/object-store.ts';
import { parseCampaign } from '../../functions/core/campaign.ts';
import { InputError } from '../../functions/core/errors.ts';
import type { CampaignRunSummary } from '../../functions/campaign-dispatch/run-campaigns.ts';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { lambdaClient } from '../../functions/adapters/aws-clients.ts';
import { STACK_OUTPUTS } from '../../lib/stack-outputs.ts';
import type { StackTarget } from './target.ts';
import * as ops from '../../functions/operations/campaigns.ts';
import { readJsonFile } from './input-file.ts';

/**
 * `strata campaigns ...` on a stack, deployed or embedded: the ports the operations in
 * functions/operations/campaigns.ts take, built from the stack's outputs.
 */


function ports(stack: StackTarget) {
  const objects = s3ObjectStore(s3Client(), stack.bucketName);
  return {
    objects,
    decisions: dynamoCampaignStore(dynamoDocumentClient(), stack.tableName),
    mailer: sesSingleMailer(sesClient()),
    from: stack.outputs[STACK_OUTPUTS.senderAddress] ?? '',
    invokeDispatch: (event: ops.BroadcastNow) => invokeFunction<CampaignRunSummary[]>(stack.dispatchFunction, event),
  };
}

/** Runs a function of the stack through Lambda's Invoke and returns its result; a handler error becomes this process's error. */
async function invokeFunction<T>(functionName: string, event: unknown): Promise<T> {
  const answer = await lambdaClient().send(new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: Buffer.from(JSON.stringify(event)) }));
  const text = answer.Payload === undefined ? 'null' : Buffer.from(answer.Payload).toString('utf-8');
  if (answer.FunctionError !== undefined) {
    const failure = JSON.parse(text) as { errorType?: string; errorMessage?: string };
    throw new Error(`${functionName} failed: ${failure.errorType ?? 'Error'}: ${failure.errorMessage ?? text}`);
  }
  return JSON.parse(text) as T;
}

/** MJML compiled as the synth compiles the bundled set (strict validation); loaded only when a campaign is written. */
export const compileMjml: ops.MjmlCompiler = async (mjml) => {
  const { default: mjml2html } = (await import('mjml' as string)) as { default: (source: string, options: object) => Promise<{ html: string; errors: { formattedMessage: string }[] }> };
  const { html, errors } = await mjml2html(mjml, { validationLevel: 'strict' });
  return { html, errors: errors.map((e) => e.formattedMessage) };
};

/** A campaign definition file and the MJML its content.mjml names beside it; read before the stack starts, so a bad file fails fast. */
export function readCampaignFile(file: string): ops.CampaignSubmission {
  const json = readJsonFile(file);
  // The schema needs no stack: a bad file is refused before one starts (add checks again, with the segments in force).
  parseCampaign(json, path.basename(file));
  const named = (json as { content?: { mjml?: unknown } } | null)?.content?.mjml;
  const mjmlFile = typeof named === 'string' ? path.join(path.dirname(file), path.basename(named)) : undefined;
  if (mjmlFile !== undefined && !fs.existsSync(mjmlFile)) throw new InputError(`${file} names ${String(named)} as its MJML, but there is no ${mjmlFile}`);
  return { json, mjml: mjmlFile === undefined ? undefined : fs.readFileSync(mjmlFile, 'utf-8'), source: path.basename(file) };
}

export const listCampaigns = (stack: StackTarget) => ops.listCampaigns(ports(stack).objects);
export const showCampaign = (stack: StackTarget, name: string) => ops.showCampaign(ports(stack).objects, name);
export const addCampaign = (stack: StackTarget, submission: ops.CampaignSubmission) => ops.addCampaign({ objects: ports(stack).objects, compile: compileMjml }, submission);
export const pauseCampaign = (stack: StackTarget, name: string, now: Date) => ops.pauseCampaign(ports(stack).objects, name, now);
export const resumeCampaign = (stack: StackTarget, name: string) => ops.resumeCampaign(ports(stack).objects, name);
export const testCampaign = (stack: StackTarget, name: string, to: string) => ops.testCampaign(ports(stack), name, to);
export const sendCampaign = (stack: StackTarget, name: string, asOf?: string) => ops.sendCampaign(ports(stack), name, asOf);
export const campaignRecipients = (stack: StackTarget, name: string) => ops.campaignRecipients(ports(stack), name);

export function formatListing(list: readonly ops.CampaignListing[]): string {
  return list
    .map((c) => {
      const trigger = c.trigger === undefined ? '' : c.trigger.type === 'broadcast' ? `broadcast ${c.trigger.cron} ${c.trigger.timeZone}` : `on ${c.trigger.type}${c.trigger.delayDays > 0 ? ` +${c.trigger.delayDays}d` : ''}`;
      return `${c.name.padEnd(20)} ${c.status.padEnd(8)} ${c.segments.join(',').padEnd(28)} ${c.status === 'refused' ? c.reason ?? '' : trigger}`;
    })
    .join('\n');
}

export function formatRecipients(rows: readonly ops.CampaignRecipient[]): string {
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.decision, (counts.get(r.decision) ?? 0) + 1);
  const lines = rows.map((r) => `${r.customerId}\t${r.decision}\t${r.at}\t${r.why}`);
  return [...lines, `${rows.length} customers: ${[...counts].map(([d, n]) => `${n} ${d}`).join(', ') || 'no decisions yet'}`].join('\n');
}
