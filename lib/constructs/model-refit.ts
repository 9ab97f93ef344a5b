import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { MODELS_PREFIX } from '../../functions/core/models/fitted-model.ts';
import { acknowledge, logicalIdOf } from '../nag.ts';
import { StrataFunction } from './strata-function.ts';

export interface ModelRefitProps {
  readonly table: dynamodb.ITable;
  readonly bucket: s3.IBucket;
  readonly environment: Readonly<Record<string, string>>;
}

/**
 * Refits the purchase (BG/NBD) and spend (Gamma-Gamma) models from the order ledger and stores
 * them under models/ in the data bucket. It can only scan the table and write under models/;
 * the re-segmentation workflow invokes `function` as its optional first step.
 */
export class ModelRefit extends Construct {
  readonly handler: StrataFunction;

  get function(): IFunction {
    return this.handler.function;
  }

  constructor(scope: Construct, id: string, props: ModelRefitProps) {
    super(scope, id);
    this.handler = new StrataFunction(this, 'Refit', {
      entry: 'functions/model-refit/handler.ts',
      description: 'Refits the BG/NBD and Gamma-Gamma models on the order ledger and stores them under models/',
      environment: props.environment,
      timeout: Duration.minutes(15),
      // Fitting is CPU-bound; Lambda's CPU grows with memory, and the ledger is held per customer-day.
      memorySize: 2048,
    });
    this.handler.role.addToPolicy(new iam.PolicyStatement({ actions: ['dynamodb:Scan'], resources: [props.table.tableArn] }));
    this.handler.role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [props.bucket.arnForObjects(`${MODELS_PREFIX}*`)] }));
    acknowledge(this.handler.role, [
      {
        id: `AwsSolutions-IAM5[Resource::<${logicalIdOf(props.bucket)}.Arn>/${MODELS_PREFIX}*]`,
        reason: 'Each refit writes a new object named by its fit time under models/; the grant is limited to that prefix.',
      },
    ]);
  }
}
