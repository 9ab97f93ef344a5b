import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildApp } from '../../lib/app.ts';

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
export function synthesizeTemplate(context: Record<string, unknown> = {}): CfnTemplate {
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

export function resourcesOfType(template: CfnTemplate, type: string): [string, CfnResource][] {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}
