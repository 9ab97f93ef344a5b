import { Arn, Duration, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as ses from 'aws-cdk-lib/aws-ses';
import { acknowledge, logicalIdOf } from '../nag.ts';
import { Construct } from 'constructs';
import { templateName, type Campaign } from '../../functions/core/campaign.ts';
import { StrataFunction } from './strata-function.ts';

export interface CampaignDispatchProps {
  readonly table: dynamodb.ITable;
  readonly environment: Readonly<Record<string, string>>;
  /** The verified address campaigns are sent from. */
  readonly senderAddress: string;
  readonly campaigns: readonly Campaign[];
}

/**
 * Sending through SES v2: a configuration set (TLS required, reputation metrics, account-level
 * suppression of bounces and complaints), one SES template per campaign, and the dispatch Lambda.
 */
export class CampaignDispatch extends Construct {
  readonly configurationSet: ses.ConfigurationSet;
  readonly handler: StrataFunction;

  constructor(scope: Construct, id: string, props: CampaignDispatchProps) {
    super(scope, id);
    this.configurationSet = new ses.ConfigurationSet(this, 'ConfigurationSet', {
      reputationMetrics: true,
      sendingEnabled: true,
      tlsPolicy: ses.ConfigurationSetTlsPolicy.REQUIRE,
      suppressionReasons: ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
    });
    for (const campaign of props.campaigns) {
      new ses.CfnTemplate(this, `Template-${campaign.name}`, {
        template: {
          templateName: templateName(campaign),
          subjectPart: campaign.template.subject,
          htmlPart: campaign.template.html,
          textPart: campaign.template.text,
        },
      });
    }

    this.handler = new StrataFunction(this, 'Dispatch', {
      entry: 'functions/dispatch/handler.ts',
      description: 'Sends each segment its campaign through SES SendBulkEmail',
      environment: {
        ...props.environment,
        SENDER_ADDRESS: props.senderAddress,
        CONFIGURATION_SET: this.configurationSet.configurationSetName,
      },
      timeout: Duration.minutes(15),
    });
    const stack = Stack.of(this);
    const sesArn = (resource: string, resourceName: string) =>
      Arn.format({ service: 'ses', resource, resourceName }, stack);
    const senderDomain = props.senderAddress.split('@')[1] ?? props.senderAddress;
    this.handler.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ses:SendBulkEmail', 'ses:SendBulkTemplatedEmail'],
        resources: [
          sesArn('identity', senderDomain),
          sesArn('identity', props.senderAddress),
          sesArn('configuration-set', this.configurationSet.configurationSetName),
          ...props.campaigns.map((c) => sesArn('template', templateName(c))),
        ],
      }),
    );
    this.handler.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        resources: [props.table.tableArn, `${props.table.tableArn}/index/*`],
      }),
    );
    acknowledge(this.handler.role, [
      {
        id: `AwsSolutions-IAM5[Resource::<${logicalIdOf(props.table)}.Arn>/index/*]`,
        reason: "Members are listed through the table's segment index; the wildcard covers only that table's indexes.",
      },
    ]);
  }
}
