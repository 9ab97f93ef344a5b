/** Metadata key naming a function's handler file: the local stack uses it to run the same code. */
export const ENTRY_METADATA_KEY = 'strata:entry';

/** Metadata key naming a state machine's workflow, so the local stack finds it in the template. */
export const WORKFLOW_METADATA_KEY = 'strata:workflow';

/** The CloudFormation type of the campaign seed custom resource, which the local stack runs as CloudFormation would. */
export const CAMPAIGN_SEED_TYPE = 'Custom::StrataCampaignSeed';
