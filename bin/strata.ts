import { Command, InvalidArgumentError } from 'commander';
import { TargetError } from './commands/target-error.ts';
import type { StackTarget } from './commands/target.ts';
import { DEFAULT_REPORT_FILE, DEFAULT_STATE_DIR, DEMO_AS_OF } from './commands/defaults.ts';
import { RECORD_KINDS } from '../functions/core/fields.ts';
import { InputError } from '../functions/core/errors.ts';
import { MAX_CUSTOMER_ID_LENGTH } from '../functions/core/records.ts';
import { resolveEvaluationTime } from '../functions/core/evaluation-time.ts';
import { abbreviate, oneLine } from './commands/one-line.ts';

// Each command loads its modules when it runs: the SDK clients, the emulators and the models are
// seconds of loading that `--help`, a typo or a missing file should not wait for.
const load = {
  stack: () => import('./commands/stack.ts'),
  target: () => import('./commands/target.ts'),
  demo: () => import('./commands/demo.ts'),
  explain: () => import('./commands/explain.ts'),
  ingestFiles: () => import('./commands/ingest.ts'),
  countProfiles: () => import('./commands/count-profiles.ts'),
  progress: () => import('./commands/progress.ts'),
  privacy: () => import('./commands/privacy.ts'),
  rfm: () => import('./commands/rfm.ts'),
  segments: () => import('./commands/segments.ts'),
  campaigns: () => import('./commands/campaigns.ts'),
  audience: () => import('./commands/audience.ts'),
  report: () => import('./commands/report.ts'),
  sending: () => import('./commands/sending.ts'),
  models: () => import('./commands/models.ts'),
  validation: () => import('../functions/core/models/validation.ts'),
  segmentModels: () => import('./commands/segment-models.ts'),
  resegment: () => import('./commands/resegment.ts'),
  files: () => import('./commands/files.ts'),
};

const program = new Command()
  .name('strata')
  .description('Customer segmentation and lifecycle e-mail on AWS. Commands run on the embedded local stack (state in .strata/), or on a deployed stack with --stack NAME.')
  .option('--state-dir <dir>', 'where the local stack keeps its state', DEFAULT_STATE_DIR)
  .option('--stack <name>', 'a deployed strata stack (CloudFormation stack name; default $STRATA_STACK, else the embedded local stack); region and credentials from the usual AWS chain')
  // A short hint, not the whole help: after a typo the error line should be what stands out.
  .showHelpAfterError('(add --help for usage)');

const stateDir = (): string => program.opts<{ stateDir: string }>().stateDir;
const stackName = (): string | undefined => program.opts<{ stack?: string }>().stack ?? (process.env.STRATA_STACK || undefined);

const isoDate = (value: string): string => {
  if (!/^\d{4}-\d{2}-\d{2}(T.*)?$/.test(value) || Number.isNaN(Date.parse(value))) throw new InvalidArgumentError('expected a date like 1998-07-01');
  return value;
};

program
  .command('demo')
  .description('run the whole pipeline on the embedded local stack with the bundled demo data (what npm start does)')
  .option('--data <dir>', 'folder with customers/, orders/ and events/ subfolders', undefined)
  .option('--as-of <date>', 'evaluation date for segments', isoDate, DEMO_AS_OF)
  .option('--keep', 'keep the local stack and the SES mailbox web UI running afterwards')
  .option('--keep-state', 'start from the state left in .strata/ instead of an empty stack')
  .option('--json', 'print the result as JSON on stdout')
  .action(async (options: { data?: string; asOf: string; keep?: boolean; keepState?: boolean; json?: boolean }) => {
    const { runDemo, formatSummary } = await load.demo();
    const { result, stack } = await runDemo({
      ...(options.data === undefined ? {} : { dataDir: options.data }),
      asOf: options.asOf,
      keepState: options.keepState === true,
      stateDir: stateDir(),
    });
    if (options.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else process.stdout.write(`${formatSummary(result, options.keep === true)}\n`);
    if (options.keep) await (await load.stack()).holdOpen(stack);
    else await stack.stop();
  });

program
  .command('ingest')
  .description('upload files to incoming/ of the stack\'s bucket, follow each to its ingest report, and report counts')
  .argument('<files...>')
  .option('--mapping <file>', 'mapping file (DESIGN.md "Mapping files") for these files')
  .option('--kind <kind>', `customers, orders or events (default: from --mapping, the folder name or the header)`)
  .option('--as-of <date>', 'embedded stack only: evaluation date for the segments of the customers touched', isoDate)
  .option('--timeout <seconds>', 'how long to wait for each file\'s report (default 900)', seconds)
  .option('--no-wait', 'return once the files are uploaded (follow them with strata files)')
  .option('--json', 'print the result as JSON on stdout')
  .action(async (files: string[], options: { mapping?: string; kind?: string; asOf?: string; timeout?: number; wait: boolean; json?: boolean }) => {
    const [{ planIngest, ingestFiles }, { countProfiles }, { createProgress }] = await Promise.all([load.ingestFiles(), load.countProfiles(), load.progress()]);
    const kind = options.kind === undefined ? undefined : RECORD_KINDS.find((k) => k === options.kind);
    if (options.kind !== undefined && kind === undefined) throw new InvalidArgumentError(`--kind must be one of ${RECORD_KINDS.join(', ')}`);
    const plan = planIngest(files, { ...(options.mapping === undefined ? {} : { mappingFile: options.mapping }), ...(kind === undefined ? {} : { kind }) });
    const progress = createProgress();
    await withTarget(options.asOf, async (target) => {
      if (options.asOf !== undefined && !target.embedded) throw new InputError(`--as-of applies to the embedded stack only; stack ${target.stackName} evaluates at its own clock`);
      const common = { progress, bar: options.json !== true, ...(options.timeout === undefined ? {} : { timeoutMs: options.timeout * 1000 }) };
      if (!options.wait) {
        const uploaded = await ingestFiles(target, plan, { ...common, wait: false });
        if (options.json) process.stdout.write(`${JSON.stringify({ files: uploaded }, null, 2)}\n`);
        else for (const u of uploaded) process.stdout.write(`${u.file}: uploaded to ${u.key} (ETag ${u.etag}); follow it with strata files\n`);
        return;
      }
      const results = await ingestFiles(target, plan, common);
      const customers = await countProfiles(target);
      if (options.json) process.stdout.write(`${JSON.stringify({ files: results, customers }, null, 2)}\n`);
      else {
        for (const r of results) {
          const columns = Object.entries(r.mapping?.columns ?? {}).map(([field, column]) => `${field}←${column}`).join(', ');
          process.stdout.write(`${r.file}: ${r.status}, ${r.accepted} accepted, ${r.rejected} rejected${r.quarantine ? ` (bad rows in ${r.quarantine})` : ''}\n  mapping: ${columns || '-'}\n`);
        }
        process.stdout.write(`${customers.toLocaleString('en-US')} customers in ${target.embedded ? 'the local stack' : `stack ${target.stackName}`}\n`);
      }
      if (results.some((r) => r.status !== 'applied')) process.exitCode = 2;
    });
  });

program
  .command('files')
  .description('recent uploads under incoming/, newest first, with their status (pending, applied, rejected, failed), counts and why rows were rejected')
  .option('--limit <n>', 'how many uploads to show (default 20, at most 1000)', positiveCount(1000), 20)
  .option('--json', 'print JSON on stdout')
  .action(async (options: { limit: number; json?: boolean }) => {
    const { listFiles, formatFiles, MAX_LISTED } = await load.files();
    await withTarget(undefined, async (target) => {
      const json = await listFiles(target, { limit: options.limit });
      process.stdout.write(options.json ? `${JSON.stringify(json, null, 2)}\n` : `${formatFiles(json)}\n`);
      if (!json.complete) process.stderr.write(`looked at the first ${MAX_LISTED.toLocaleString('en-US')} objects under incoming/ (by name) only: newer uploads past them are not shown\n`);
    });
  });

program
  .command('rfm')
  .description('RFM scores (DESIGN.md) of every customer in an orders file, read directly (no stack)')
  .requiredOption('--orders <file>', 'orders file (CSV or JSONL, gzip or not)')
  .option('--mapping <file>', 'mapping file for the orders file (default: <file>.mapping.json next to it, else recognized headers)')
  .requiredOption('--as-of <date>', 'the evaluation date A: orders on or before it count', isoDate)
  .option('--json', 'print JSON on stdout')
  .action(async (options: { orders: string; mapping?: string; asOf: string; json?: boolean }) => {
    const { rfmOfFile } = await load.rfm();
    const rows = await rfmOfFile(options.orders, { ...(options.mapping === undefined ? {} : { mappingFile: options.mapping }), asOf: new Date(`${options.asOf.slice(0, 10)}T00:00:00Z`) });
    if (options.json) process.stdout.write(`${JSON.stringify(rows)}\n`);
    else {
      process.stdout.write('customerId\trecencyDays\tfrequency\tmonetary\tR\tF\tM\n');
      for (const r of rows) process.stdout.write(`${r.customerId}\t${r.recencyDays}\t${r.frequency}\t${r.monetary}\t${r.r}\t${r.f}\t${r.m}\n`);
    }
  });

const segments = program.command('segments').description('segment definitions in force, their sizes and members, previews, adding and removing definitions');
segments
  .command('list', { isDefault: true })
  .description('every segment in force with its size and definition (the default)')
  .option('--json', 'print JSON on stdout')
  .action(async (options: { json?: boolean }) => {
    await withTarget(undefined, async (stack) => {
      const { listSegments, formatSegmentList } = await load.segments();
      const result = await listSegments(stack);
      process.stdout.write(options.json ? `${JSON.stringify(result, null, 2)}\n` : formatSegmentList(result));
    });
  });
segments
  .command('preview')
  .description('size and a sample of a segment definition (JSON file) on the stack, without saving it')
  .argument('<file>')
  .option('--as-of <date>', 'evaluation date (default: the stack\'s as-of date or today)', isoDate)
  .option('--sample <n>', 'how many members to show', (v) => Number.parseInt(v, 10), 10)
  .option('--json', 'print JSON on stdout')
  .action(async (file: string, options: { asOf?: string; sample: number; json?: boolean }) => {
    const { readDefinitionFile, previewSegment, formatPreview } = await load.segments();
    const definition = readDefinitionFile(file);
    await withTarget(undefined, async (stack) => {
      const now = resolveEvaluationTime({ requested: options.asOf, configured: process.env.STRATA_AS_OF }, new Date());
      const preview = await previewSegment(stack, definition, now, options.sample);
      process.stdout.write(options.json ? `${JSON.stringify(preview, null, 2)}\n` : formatPreview(preview));
    });
  });
segments
  .command('add')
  .description('validate a segment definition (JSON file) and store it under config/segments/ in the stack\'s bucket')
  .argument('<file>')
  .option('--json', 'print JSON on stdout')
  .action(async (file: string, options: { json?: boolean }) => {
    const { readDefinitionFile, addSegment } = await load.segments();
    const definition = readDefinitionFile(file);
    await withTarget(undefined, async (stack) => {
      const added = await addSegment(stack, definition);
      process.stdout.write(options.json ? `${JSON.stringify(added)}\n` : `stored ${added.name} as ${added.key} in stack ${stack.stackName}; it applies from the next evaluation\n`);
    });
  });

segments
  .command('members')
  .description('the customer ids in a segment, one a line, read page by page through the segment index')
  .argument('<name>')
  .option('--limit <n>', 'at most this many ids', (v) => positiveInteger(v))
  .option('--json', 'print {"segment", "members": [ids…], "count"} on stdout')
  .action(async (name: string, options: { limit?: number; json?: boolean }) => {
    const { segmentMembers } = await load.segments();
    await withTarget(undefined, async (stack) => {
      // Written as each page arrives, the JSON array included: a big segment is never held whole.
      let count = 0;
      for await (const page of segmentMembers(stack, name, options.limit)) {
        if (options.json) process.stdout.write(`${count === 0 ? `{"segment":${JSON.stringify(name)},"members":[` : ','}${page.map((id) => JSON.stringify(id)).join(',')}`);
        else process.stdout.write(`${page.join('\n')}\n`);
        count += page.length;
      }
      if (options.json) process.stdout.write(`${count === 0 ? `{"segment":${JSON.stringify(name)},"members":[` : ''}],"count":${count}}\n`);
      else process.stderr.write(`${count.toLocaleString('en-US')} member(s) of ${name}${options.limit !== undefined && count === options.limit ? ` (--limit ${options.limit})` : ''} in stack ${stack.stackName}\n`);
    });
  });
segments
  .command('remove')
  .description('delete a user segment definition from config/segments/ and retire its memberships (built-ins cannot be removed)')
  .argument('<name>')
  .option('--json', 'print JSON on stdout')
  .action(async (name: string, options: { json?: boolean }) => {
    const { removeSegment } = await load.segments();
    await withTarget(undefined, async (stack) => {
      const now = resolveEvaluationTime({ configured: process.env.STRATA_AS_OF }, new Date());
      const removed = await removeSegment(stack, name, now);
      if (options.json) process.stdout.write(`${JSON.stringify(removed)}\n`);
      else if (removed.builtinRestored) process.stdout.write(`removed ${removed.key ?? name} from stack ${stack.stackName}; the built-in ${name} it replaced is in force again from the next evaluation\n`);
      else process.stdout.write(`removed ${removed.key === undefined ? `what was left of ${name}` : removed.key} from stack ${stack.stackName}; ${removed.retired.toLocaleString('en-US')} membership(s) retired\n`);
    });
  });

// Campaigns are data in the bucket (config/campaigns/): each command is one operation of
// functions/operations/campaigns.ts, reached through bin/commands/campaigns.ts.
const campaigns = program.command('campaigns').description('campaign definitions in force (config/campaigns/): list, show, add, pause, resume, test, send, recipients');
const printJson = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
campaigns
  .command('list', { isDefault: true })
  .description('every campaign with its status (active, paused, refused), segments and trigger')
  .option('--json', 'print JSON on stdout')
  .action(async (options: { json?: boolean }) => {
    const { listCampaigns, formatListing } = await load.campaigns();
    await withTarget(undefined, async (stack) => {
      const list = await listCampaigns(stack);
      if (options.json) printJson(list);
      else process.stdout.write(`${formatListing(list)}\n`);
    });
  });
campaigns
  .command('show')
  .description('a campaign\'s definition, MJML and template, and a preview rendered with its defaults')
  .argument('<name>')
  .option('--json', 'print JSON on stdout')
  .action(async (name: string, options: { json?: boolean }) => {
    const { showCampaign } = await load.campaigns();
    await withTarget(undefined, async (stack) => {
      const shown = await showCampaign(stack, name);
      if (options.json) printJson(shown);
      else process.stdout.write(`${JSON.stringify(shown.campaign, null, 2)}\n${shown.paused ? 'PAUSED\n' : ''}${shown.preview === undefined ? '' : `\nsubject: ${shown.preview.subject}\n\n${shown.preview.text}\n`}`);
    });
  });
campaigns
  .command('add')
  .description('validate a campaign definition (JSON file, its MJML beside it), compile the MJML and store both under config/campaigns/; replaces one of the same name')
  .argument('<file>')
  .option('--json', 'print JSON on stdout')
  .action(async (file: string, options: { json?: boolean }) => {
    const { readCampaignFile, addCampaign } = await load.campaigns();
    const submission = readCampaignFile(file);
    await withTarget(undefined, async (stack) => {
      const added = await addCampaign(stack, submission);
      if (options.json) printJson(added);
      else process.stdout.write(`${added.replaced ? 'replaced' : 'stored'} ${added.name} as ${added.keys.definition}; it applies from the next run\n`);
    });
  });
for (const [verb, description] of [['pause', 'pause a campaign: runs skip it until it is resumed'], ['resume', 'resume a paused campaign']] as const) {
  campaigns
    .command(verb)
    .description(description)
    .argument('<name>')
    .option('--json', 'print JSON on stdout')
    .action(async (name: string, options: { json?: boolean }) => {
      const { pauseCampaign, resumeCampaign } = await load.campaigns();
      await withTarget(undefined, async (stack) => {
        const result = verb === 'pause' ? await pauseCampaign(stack, name, new Date()) : await resumeCampaign(stack, name);
        if (options.json) printJson(result);
        else process.stdout.write(`${name} ${result.paused ? 'paused' : 'resumed'}\n`);
      });
    });
}
campaigns
  .command('test')
  .description('render a campaign with its defaults and send it once to an address, marked [TEST], outside the ledger and the metrics')
  .argument('<name>')
  .requiredOption('--to <address>', 'where the test goes')
  .option('--json', 'print JSON on stdout')
  .action(async (name: string, options: { to: string; json?: boolean }) => {
    const { testCampaign } = await load.campaigns();
    await withTarget(undefined, async (stack) => {
      const sent = await testCampaign(stack, name, options.to);
      if (options.json) printJson(sent);
      else process.stdout.write(`test of ${name} sent (message ${sent.messageId ?? '?'})\n`);
    });
  });
campaigns
  .command('send')
  .description('run a broadcast now through the dispatch function, as its schedule would')
  .argument('<name>')
  .option('--as-of <date>', 'evaluation time of the run (default: the stack\'s as-of date, else now)', isoDate)
  .option('--json', 'print JSON on stdout')
  .action(async (name: string, options: { asOf?: string; json?: boolean }) => {
    const { sendCampaign } = await load.campaigns();
    await withTarget(undefined, async (stack) => {
      const summaries = await sendCampaign(stack, name, options.asOf);
      if (options.json) printJson(summaries);
      else for (const s of summaries) process.stdout.write(`${s.campaign}: ${s.skipped === undefined ? `${s.sent} sent, ${s.holdout} held out, ${s.deferred} deferred, ${s.suppressed} suppressed, ${s.capped} capped` : `skipped (${s.skipped})`}\n`);
    });
  });
campaigns
  .command('recipients')
  .description('every customer the campaign decided about: sent, held out, deferred, suppressed, capped, and why')
  .argument('<name>')
  .option('--json', 'print JSON on stdout')
  .action(async (name: string, options: { json?: boolean }) => {
    const { campaignRecipients, formatRecipients } = await load.campaigns();
    await withTarget(undefined, async (stack) => {
      const rows = await campaignRecipients(stack, name);
      if (options.json) printJson(rows);
      else process.stdout.write(`${formatRecipients(rows)}\n`);
    });
  });

const local = program.command('local').description('the embedded local AWS stack');
local
  .command('up')
  .description('start the local stack with its saved state and keep it running (mailbox web UI included)')
  .action(async () => {
    const { localUp } = await load.stack();
    await localUp(stateDir());
  });
local
  .command('reset')
  .description('wipe the local stack\'s saved state (.strata/)')
  .action(async () => {
    const { localReset } = await load.stack();
    localReset(stateDir());
  });

program
  .command('explain')
  .description('the single customer view of one customer, their segments and why')
  .argument('<customerId>')
  .option('--json', 'print JSON on stdout')
  .action(async (customerId: string, options: { json?: boolean }) => {
    requireStorableId(customerId);
    const { explainCustomer, formatExplanation, formatSuppression, suppressionOf } = await load.explain();
    await withTarget(undefined, async (stack) => {
    const explanation = await explainCustomer(stack, customerId);
    const left = explanation === undefined ? await suppressionOf(stack, customerId) : [];
    if (explanation === undefined && left.length > 0) {
      // An erased customer: nothing held but the entries that keep them erased and unmailed.
      if (options.json) process.stdout.write(`${JSON.stringify({ customerId, profile: null, suppression: { suppressed: true, entries: left } }, null, 2)}\n`);
      else process.stdout.write(`customer ${oneLine(abbreviate(customerId))}: no data held\n${formatSuppression(left, left[0] ?? null).join('\n')}\n`);
    } else if (explanation === undefined) {
      process.stderr.write(`no customer ${oneLine(abbreviate(customerId))} in stack ${stack.stackName}${stack.embedded ? ' (the embedded stack: run npm start first?)' : ''}\n`);
      process.exitCode = 1;
    } else if (options.json) {
      process.stdout.write(`${JSON.stringify(explanation, null, 2)}\n`);
    } else {
      process.stdout.write(`${formatExplanation(explanation)}\n`);
    }
    });
  });

program
  .command('forget')
  .description('erase a customer (by id or e-mail) and keep only a hashed suppression entry')
  .argument('<customerIdOrEmail>')
  .option('--purge-files', 'also delete every version of the uploads under incoming/ that mention the customer')
  .option('--json', 'print JSON on stdout')
  .action(async (target: string, options: { json?: boolean; purgeFiles?: boolean }) => {
    const { forget, formatForget } = await load.privacy();
    await withTarget(undefined, async (stack) => {
    const result = await forget(stack, target, new Date(), { purgeFiles: options.purgeFiles === true });
    if (options.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else process.stdout.write(`${formatForget(result).split('\n').map((line) => oneLine(line)).join('\n')}\n`);
    if (result.erased === undefined && result.target === 'id' && !result.alreadyErased) process.exitCode = 1;
    });
  });

program
  .command('export-customer')
  .description('everything held about one customer, as JSON (subject access request)')
  .argument('<customerId>')
  .action(async (customerId: string) => {
    requireStorableId(customerId);
    const { exportCustomerWithSuppression } = await load.privacy();
    await withTarget(undefined, async (stack) => {
    const exported = await exportCustomerWithSuppression(stack, customerId);
    if (exported.items.length === 0 && exported.suppression.length === 0) {
      process.stderr.write(`no customer ${oneLine(abbreviate(customerId))} in stack ${stack.stackName}\n`);
      process.exitCode = 1;
    } else {
      process.stdout.write(`${JSON.stringify(exported, null, 2)}\n`);
    }
    });
  });

program
  .command('resegment')
  .description('start the stack\'s re-segmentation state machine now, follow the execution and print its report')
  .option('--as-of <date>', 'evaluation time of the run (default: now)', isoDate)
  .option('--force', "clear the run lock first, whoever holds it (for a run that died without releasing it)")
  .option('--json', 'print JSON on stdout')
  .action(async (options: { asOf?: string; force?: boolean; json?: boolean }) => {
    const { startResegment, toResegmentJson, formatResegment, formatSkipped, formatCleared, formatTookOver, clearRunLock } = await load.resegment();
    await withTarget(options.asOf, async (target) => {
      if (options.force) {
        process.stderr.write(`${formatCleared(await clearRunLock(target, new Date()))}\n`);
      }
      // A progress line on a terminal only, and never with --json.
      const live = options.json !== true && process.stderr.isTTY;
      const outcome = await startResegment(target, options.asOf === undefined ? {} : { asOf: options.asOf }, {
        onPoll: (ms) => {
          if (live) process.stderr.write(`\r\x1b[K  • re-segmentation running on ${target.embedded ? 'the local stack' : `stack ${target.stackName}`} … ${(ms / 1000).toFixed(0)} s`);
        },
      });
      if (live) process.stderr.write('\r\x1b[K');
      if (outcome.status !== 'SUCCEEDED') {
        process.stderr.write(`${outcome.status === 'FAILED' ? `re-segmentation failed: ${outcome.error}` : formatSkipped(outcome)}\n`);
        process.exitCode = 1;
        return;
      }
      if (outcome.tookOver !== undefined) process.stderr.write(`${formatTookOver(outcome.tookOver)}\n`);
      const json = toResegmentJson(outcome);
      process.stdout.write(options.json ? `${JSON.stringify(json, null, 2)}\n` : `${formatResegment(json)}\n`);
    });
  });

const audience = program.command('audience').description('audiences for ad platforms');
audience
  .command('export')
  .description('export a segment as customer-match files (normalized, SHA-256-hashed e-mails) for Google and Meta under exports/')
  .argument('<segment>')
  .option('--json', 'print JSON on stdout')
  .action(async (segment: string, options: { json?: boolean }) => {
    const { exportSegmentAudience, formatAudienceExport } = await load.audience();
    await withTarget(undefined, async (stack) => {
      const result = await exportSegmentAudience(stack, segment, new Date());
      process.stdout.write(`${options.json ? JSON.stringify(result, null, 2) : formatAudienceExport(result)}\n`);
    });
  });

program
  .command('report')
  .description('the HTML performance report (campaigns against their holdout, sending health, segments over time, RFM grid) to a file and reports/<date>.html in the bucket')
  .option('--out <file>', 'where to write the HTML', DEFAULT_REPORT_FILE)
  .option('--as-of <date>', 'the report date (default: the stack\'s as-of date, else today)', isoDate)
  .option('--attribution-days <days>', 'orders this many days after a send are credited to it', (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of days');
    return n;
  })
  .option('--json', 'print the figures as JSON on stdout')
  .action(async (options: { out: string; asOf?: string; attributionDays?: number; json?: boolean }) => {
    const { writeReport } = await load.report();
    await withTarget(options.asOf, async (stack) => {
      const result = await writeReport(stack, {
        out: options.out,
        now: new Date(),
        ...(options.asOf === undefined ? {} : { asOf: new Date(options.asOf) }),
        ...(options.attributionDays === undefined ? {} : { attributionDays: options.attributionDays }),
      });
      if (options.json) {
        const { data, ...where } = result;
        process.stdout.write(`${JSON.stringify({ ...where, ...data }, null, 2)}\n`);
      } else {
        process.stdout.write(`report written to ${result.file} (${(result.bytes / 1024).toFixed(0)} KiB) and s3://${stack.bucketName}/${result.key}\n`);
      }
    });
  });

program
  .command('sending')
  .description('whether the sending guard has paused campaigns, with the bounce and complaint rates over its window; --resume lifts the pause')
  .option('--resume', 'resume sending after a pause')
  .option('--json', 'print JSON on stdout')
  .action(async (options: { resume?: boolean; json?: boolean }) => {
    const { resumeSending, sendingStatus } = await load.sending();
    await withTarget(undefined, async (stack) => {
      const now = resolveEvaluationTime({ configured: process.env.STRATA_AS_OF }, new Date());
      if (options.resume) await resumeSending(stack, now);
      const status = await sendingStatus(stack, now);
      if (options.json) process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
      else {
        const w = status.window;
        process.stdout.write(
          `sending ${status.guard?.paused ? `PAUSED since ${status.guard.at}: ${status.guard.reasons.join('; ')}` : 'active'}\n` +
            `  ${w.window.from} to ${w.window.to}: ${w.sends} sends, ${w.hardBounces} hard bounces (${(w.bounceRate * 100).toFixed(2)}%), ` +
            `${w.complaints} complaints (${(w.complaintRate * 100).toFixed(3)}%)\n`,
        );
      }
    });
  });

const positiveNumber = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
};
const rate = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n >= 1) throw new InvalidArgumentError('expected a rate like 0.01');
  return n;
};

const model = program.command('model').description('BG/NBD purchase and Gamma-Gamma spend models: fit, score, validate (files in, no stack needed)');
model
  .command('fit')
  .description('fit both models by maximum likelihood on the purchases up to the calibration end')
  .requiredOption('--orders <file>', 'orders file (CSV or JSONL, gzip or not)')
  .option('--mapping <file>', 'mapping file for it')
  .requiredOption('--calibration-end <date>', 'last day of the calibration period', isoDate)
  .option('--json', 'print JSON on stdout')
  .action(async (options: { orders: string; mapping?: string; calibrationEnd: string; json?: boolean }) => {
    const { modelFit, formatFit } = await load.models();
    const fitted = await modelFit(options, options.calibrationEnd, new Date());
    process.stdout.write(`${options.json ? JSON.stringify(fitted, null, 2) : formatFit(fitted)}\n`);
  });
model
  .command('score')
  .description('P(alive), expected purchases over a horizon, expected spend and 12-month CLV per customer')
  .requiredOption('--orders <file>', 'orders file (CSV or JSONL, gzip or not)')
  .option('--mapping <file>', 'mapping file for it')
  .requiredOption('--calibration-end <date>', 'last day of the calibration period (scores are as of that day)', isoDate)
  .requiredOption('--horizon-weeks <n>', 'weeks ahead for expectedPurchases', positiveNumber)
  .option('--customer <id>', 'only this customer')
  .option('--discount-rate <rate>', 'monthly discount rate of the CLV', rate, 0.01)
  .option('--json', 'print JSON on stdout')
  .action(async (options: { orders: string; mapping?: string; calibrationEnd: string; horizonWeeks: number; customer?: string; discountRate: number; json?: boolean }) => {
    const { modelScore, formatScores } = await load.models();
    const scores = await modelScore(options, options.calibrationEnd, {
      horizonWeeks: options.horizonWeeks,
      monthlyDiscountRate: options.discountRate,
      ...(options.customer === undefined ? {} : { customer: options.customer }),
    }, new Date());
    process.stdout.write(`${options.json ? JSON.stringify(scores, null, 2) : formatScores(scores, options.horizonWeeks)}\n`);
  });
model
  .command('validate')
  .description('fit on the calibration period and compare with the holdout: by calibration frequency and weekly cumulative tracking')
  .requiredOption('--orders <file>', 'orders file (CSV or JSONL, gzip or not)')
  .option('--mapping <file>', 'mapping file for it')
  .requiredOption('--calibration-end <date>', 'last day of the calibration period', isoDate)
  .option('--holdout-end <date>', 'last day of the holdout (default: the last purchase in the file)', isoDate)
  .option('--out <file>', 'write the chart as SVG to this file')
  .option('--json', 'print JSON on stdout')
  .action(async (options: { orders: string; mapping?: string; calibrationEnd: string; holdoutEnd?: string; out?: string; json?: boolean }) => {
    const [{ modelValidate }, { formatValidation }] = await Promise.all([load.models(), load.validation()]);
    const result = await modelValidate(options, options.calibrationEnd, {
      ...(options.holdoutEnd === undefined ? {} : { holdoutEnd: options.holdoutEnd }),
      ...(options.out === undefined ? {} : { out: options.out }),
    }, new Date());
    if (options.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else process.stdout.write(`${formatValidation(result.report)}${result.chart === undefined ? '' : `\n\nchart: ${result.chart}`}\n`);
  });

const positiveInteger = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive whole number');
  return n;
};

program
  .command('clusters')
  .description('micro-segments: k-means over standardized behavioural features; each cluster usable as segment cluster-<n>')
  .requiredOption('--orders <file>', 'orders file (CSV or JSONL, gzip or not)')
  .option('--mapping <file>', 'mapping file for it')
  .option('--k <n>', 'number of clusters (default: best silhouette in 3..8)', positiveInteger)
  .option('--as-of <date>', 'features as of this date (default: the day after the last purchase)', isoDate)
  .option('--json', 'print JSON on stdout')
  .action(async (options: { orders: string; mapping?: string; k?: number; asOf?: string; json?: boolean }) => {
    const { clustersCommand, formatClusters } = await load.segmentModels();
    const result = await clustersCommand(options, options.k === undefined ? {} : { k: options.k }, new Date());
    process.stdout.write(`${options.json ? JSON.stringify(result, null, 2) : formatClusters(result)}\n`);
  });

program
  .command('lookalike')
  .description('rank customers outside a seed by similarity to it and keep the top N or those above a score')
  .requiredOption('--orders <file>', 'orders file (CSV or JSONL, gzip or not)')
  .option('--mapping <file>', 'mapping file for it')
  .option('--seed-file <file>', 'customer ids of the seed, one per line')
  .option('--seed-segment <name>', 'the seed: cluster-<n> of this file, or a segment of the local stack')
  .option('--k <n>', 'k of the clustering a cluster-<n> seed comes from', positiveInteger)
  .option('--top <n>', 'keep the N most similar', positiveInteger)
  .option('--min-score <score>', 'keep those scoring at least this (0..1)', rate)
  .option('--name <segment>', 'name of the resulting segment (default lookalike-<seed segment>)')
  .option('--as-of <date>', 'features as of this date (default: the day after the last purchase)', isoDate)
  .option('--json', 'print JSON on stdout')
  .action(async (options: { orders: string; mapping?: string; seedFile?: string; seedSegment?: string; k?: number; top?: number; minScore?: number; name?: string; asOf?: string; json?: boolean }) => {
    const [{ lookalikeCommand, localSegmentMembers, formatLookalikes }, { openTarget }] = await Promise.all([load.segmentModels(), load.target()]);
    let target: StackTarget | undefined;
    try {
      const result = await lookalikeCommand(options, async (segment) => localSegmentMembers((target ??= await openTarget({ stack: stackName(), stateDir: stateDir() })), segment), new Date());
      process.stdout.write(`${options.json ? JSON.stringify(result, null, 2) : formatLookalikes(result)}\n`);
    } finally {
      await target?.close();
    }
  });

/** An id ingest would have refused cannot be stored, so say so before starting a stack to look for it. */
function requireStorableId(customerId: string): void {
  if (customerId.length > MAX_CUSTOMER_ID_LENGTH) {
    throw new InputError(`customer id ${abbreviate(customerId, 20)} is longer than ${MAX_CUSTOMER_ID_LENGTH} characters, so no customer has it`);
  }
}

/** A count option between 1 and `max`. */
function positiveCount(max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new InvalidArgumentError(`expected a whole number from 1 to ${max}`);
    return n;
  };
}

/** A --timeout value; a function declaration, as options are declared before the constants below. */
function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number of seconds');
  return n;
}

/**
 * Runs a command against the stack it names (--stack, STRATA_STACK) or the embedded one, reached
 * through its CloudFormation outputs either way, and always lets go of it afterwards.
 */
async function withTarget(asOf: string | undefined, command: (target: StackTarget) => Promise<void>): Promise<void> {
  const target = await (await load.target()).openTarget({ stack: stackName(), stateDir: stateDir(), asOf });
  try {
    await command(target);
  } finally {
    await target.close();
  }
}

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`strata: ${oneLine(error instanceof Error ? error.message : String(error))}\n`);
  process.exitCode = error instanceof TargetError ? error.exitCode : 1;
});
