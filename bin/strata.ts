import { Command, InvalidArgumentError } from 'commander';
import type { LocalStack, LocalStackOptions } from '../functions/local/local-stack.ts';
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
  demo: () => import('./commands/demo.ts'),
  explain: () => import('./commands/explain.ts'),
  ingestFiles: () => import('./commands/ingest.ts'),
  countProfiles: () => import('./commands/count-profiles.ts'),
  progress: () => import('./commands/progress.ts'),
  privacy: () => import('./commands/privacy.ts'),
  rfm: () => import('./commands/rfm.ts'),
  segments: () => import('./commands/segments.ts'),
  audience: () => import('./commands/audience.ts'),
  report: () => import('./commands/report.ts'),
  sending: () => import('./commands/sending.ts'),
  models: () => import('./commands/models.ts'),
  validation: () => import('../functions/core/models/validation.ts'),
  segmentModels: () => import('./commands/segment-models.ts'),
  resegment: () => import('./commands/resegment.ts'),
};

const program = new Command()
  .name('strata')
  .description('Customer segmentation and lifecycle e-mail on AWS. Commands run on the embedded local stack (state in .strata/).')
  .option('--state-dir <dir>', 'where the local stack keeps its state', DEFAULT_STATE_DIR)
  // A short hint, not the whole help: after a typo the error line should be what stands out.
  .showHelpAfterError('(add --help for usage)');

const stateDir = (): string => program.opts<{ stateDir: string }>().stateDir;

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
  .description('load files into the local stack as uploads to incoming/, wait, and report counts')
  .argument('<files...>')
  .option('--mapping <file>', 'mapping file (DESIGN.md "Mapping files") for these files')
  .option('--kind <kind>', `customers, orders or events (default: from --mapping, the folder name or the header)`)
  .option('--as-of <date>', 'evaluation date for the segments of the customers touched', isoDate)
  .option('--timeout <seconds>', 'attached to a running `strata local up`: how long to wait for each file\'s report (default 900)', seconds)
  .option('--json', 'print the result as JSON on stdout')
  .action(async (files: string[], options: { mapping?: string; kind?: string; asOf?: string; timeout?: number; json?: boolean }) => {
    const [{ planIngest, ingestFiles }, { countProfiles }, { createProgress }] = await Promise.all([load.ingestFiles(), load.countProfiles(), load.progress()]);
    const kind = options.kind === undefined ? undefined : RECORD_KINDS.find((k) => k === options.kind);
    if (options.kind !== undefined && kind === undefined) throw new InvalidArgumentError(`--kind must be one of ${RECORD_KINDS.join(', ')}`);
    const plan = planIngest(files, { ...(options.mapping === undefined ? {} : { mappingFile: options.mapping }), ...(kind === undefined ? {} : { kind }) });
    const progress = createProgress();
    await withLocalStack({ stateDir: stateDir(), ...(options.asOf === undefined ? {} : { asOf: options.asOf }) }, async (stack) => {
    const results = await ingestFiles(stack, plan, { progress, ...(options.timeout === undefined ? {} : { timeoutMs: options.timeout * 1000 }) });
    const customers = await countProfiles(stack);
    if (options.json) process.stdout.write(`${JSON.stringify({ files: results, customers }, null, 2)}\n`);
    else {
      for (const r of results) {
        const columns = Object.entries(r.mapping?.columns ?? {}).map(([field, column]) => `${field}←${column}`).join(', ');
        process.stdout.write(`${r.file}: ${r.status}, ${r.accepted} accepted, ${r.rejected} rejected${r.quarantine ? ` (bad rows in ${r.quarantine})` : ''}\n  mapping: ${columns || '-'}\n`);
      }
      process.stdout.write(`${customers.toLocaleString('en-US')} customers in the local stack\n`);
    }
    if (results.some((r) => r.status !== 'applied')) process.exitCode = 2;
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

const segments = program.command('segments').description('segment definitions in force, their sizes, previews of new ones');
segments
  .command('list', { isDefault: true })
  .description('every segment in force with its size and definition (the default)')
  .option('--json', 'print JSON on stdout')
  .action(async (options: { json?: boolean }) => {
    await withLocalStack({ stateDir: stateDir() }, async (stack) => {
      const { listSegments, formatSegmentList } = await load.segments();
      const result = await listSegments(stack);
      process.stdout.write(options.json ? `${JSON.stringify(result, null, 2)}\n` : formatSegmentList(result));
    });
  });
segments
  .command('preview')
  .description('size and a sample of a segment definition (JSON file) on the local stack, without saving it')
  .argument('<file>')
  .option('--as-of <date>', 'evaluation date (default: the stack\'s as-of date or today)', isoDate)
  .option('--sample <n>', 'how many members to show', (v) => Number.parseInt(v, 10), 10)
  .option('--json', 'print JSON on stdout')
  .action(async (file: string, options: { asOf?: string; sample: number; json?: boolean }) => {
    const { readDefinitionFile, previewSegment, formatPreview } = await load.segments();
    const definition = readDefinitionFile(file);
    await withLocalStack({ stateDir: stateDir() }, async (stack) => {
      const now = resolveEvaluationTime({ requested: options.asOf, configured: stack.asOf }, new Date());
      const preview = await previewSegment(stack, definition, now, options.sample);
      process.stdout.write(options.json ? `${JSON.stringify(preview, null, 2)}\n` : formatPreview(preview));
    });
  });
segments
  .command('add')
  .description('validate a segment definition (JSON file) and store it under config/segments/ in the local bucket')
  .argument('<file>')
  .option('--json', 'print JSON on stdout')
  .action(async (file: string, options: { json?: boolean }) => {
    const { readDefinitionFile, addSegment } = await load.segments();
    const definition = readDefinitionFile(file);
    await withLocalStack({ stateDir: stateDir() }, async (stack) => {
      const added = await addSegment(stack, definition);
      process.stdout.write(options.json ? `${JSON.stringify(added)}\n` : `stored ${added.name} as ${added.key}; it applies from the next evaluation\n`);
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
    await withLocalStack({ stateDir: stateDir() }, async (stack) => {
    const explanation = await explainCustomer(stack, customerId);
    const left = explanation === undefined ? await suppressionOf(stack, customerId) : [];
    if (explanation === undefined && left.length > 0) {
      // An erased customer: nothing held but the entries that keep them erased and unmailed.
      if (options.json) process.stdout.write(`${JSON.stringify({ customerId, profile: null, suppression: { suppressed: true, entries: left } }, null, 2)}\n`);
      else process.stdout.write(`customer ${oneLine(abbreviate(customerId))}: no data held\n${formatSuppression(left, left[0] ?? null).join('\n')}\n`);
    } else if (explanation === undefined) {
      process.stderr.write(`no customer ${oneLine(abbreviate(customerId))} in the local stack (run npm start first?)\n`);
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
    await withLocalStack({ stateDir: stateDir() }, async (stack) => {
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
    await withLocalStack({ stateDir: stateDir() }, async (stack) => {
    const exported = await exportCustomerWithSuppression(stack, customerId);
    if (exported.items.length === 0 && exported.suppression.length === 0) {
      process.stderr.write(`no customer ${oneLine(abbreviate(customerId))} in the local stack\n`);
      process.exitCode = 1;
    } else {
      process.stdout.write(`${JSON.stringify(exported, null, 2)}\n`);
    }
    });
  });

program
  .command('resegment')
  .description('run the re-segmentation workflow (the synthesized Step Functions definition) on the local stack now')
  .option('--as-of <date>', 'evaluation time of the run (default: now)', isoDate)
  .option('--force', "clear the run lock first, whoever holds it (for a run that died without releasing it)")
  .option('--json', 'print JSON on stdout')
  .action(async (options: { asOf?: string; force?: boolean; json?: boolean }) => {
    const { runResegment, toResegmentJson, formatResegment, formatSkipped, formatCleared, formatTookOver, clearRunLock } = await load.resegment();
    await withLocalStack({ stateDir: stateDir(), ...(options.asOf === undefined ? {} : { asOf: options.asOf }) }, async (stack) => {
      if (options.force) {
        process.stderr.write(`${formatCleared(await clearRunLock(stack, new Date()))}\n`);
      }
      const outcome = await runResegment(stack, options.asOf === undefined ? {} : { asOf: options.asOf });
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
    await withLocalStack({ stateDir: stateDir() }, async (stack) => {
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
    await withLocalStack({ stateDir: stateDir(), ...(options.asOf === undefined ? {} : { asOf: options.asOf }) }, async (stack) => {
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
    await withLocalStack({ stateDir: stateDir() }, async (stack) => {
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
    const [{ lookalikeCommand, localSegmentMembers, formatLookalikes }, { startLocalStack }] = await Promise.all([load.segmentModels(), load.stack()]);
    let stack: LocalStack | undefined;
    try {
      const result = await lookalikeCommand(options, async (segment) => localSegmentMembers((stack ??= await startLocalStack({ stateDir: stateDir() })), segment), new Date());
      process.stdout.write(`${options.json ? JSON.stringify(result, null, 2) : formatLookalikes(result)}\n`);
    } finally {
      await stack?.stop();
    }
  });

/** An id ingest would have refused cannot be stored, so say so before starting a stack to look for it. */
function requireStorableId(customerId: string): void {
  if (customerId.length > MAX_CUSTOMER_ID_LENGTH) {
    throw new InputError(`customer id ${abbreviate(customerId, 20)} is longer than ${MAX_CUSTOMER_ID_LENGTH} characters, so no customer has it`);
  }
}

/** A --timeout value; a function declaration, as options are declared before the constants below. */
function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number of seconds');
  return n;
}

/** Runs a command against the local stack and always stops it (or detaches) afterwards. */
async function withLocalStack(options: LocalStackOptions, command: (stack: LocalStack) => Promise<void>): Promise<void> {
  await (await load.stack()).withLocalStack(options, command);
}

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`strata: ${oneLine(error instanceof Error ? error.message : String(error))}\n`);
  process.exitCode = 1;
});
