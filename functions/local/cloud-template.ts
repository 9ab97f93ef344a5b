import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** A CloudFormation template, as far as the local stack reads it. */
export interface CfnTemplate {
  readonly Resources: Readonly<Record<string, CfnResource>>;
}

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}

/**
 * Synthesizes the real CDK app in this process, without bundling, and returns the stack's
 * template: the local stack builds its tables, bucket, functions and templates from it, so there is
 * no second, hand-kept list of resources.
 */
export async function synthesizeTemplate(context: Record<string, unknown> = {}): Promise<CfnTemplate> {
  const { App } = await import('aws-cdk-lib');
  const { buildApp } = await import('../../lib/app.ts');
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-synth-'));
  try {
    const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [], ...context } });
    const { stack } = buildApp(app);
    const assembly = app.synth();
    return assembly.getStackArtifact(stack.artifactId).template as CfnTemplate;
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * The same synthesis in a short-lived child process: the CDK library (a few hundred MB once
 * loaded) never enters the long-running local stack's memory.
 */
export function synthesizeInChildProcess(context: Record<string, unknown> = {}): CfnTemplate {
  const output = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), JSON.stringify(context)], {
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(output.toString('utf-8')) as CfnTemplate;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const template = await synthesizeTemplate(JSON.parse(process.argv[2] ?? '{}') as Record<string, unknown>);
  process.stdout.write(JSON.stringify(template));
}

export function resourcesOfType(template: CfnTemplate, type: string): [string, CfnResource][] {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}
