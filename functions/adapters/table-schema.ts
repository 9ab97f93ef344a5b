/** Key attribute names of the single table, shared by the CDK construct and the DynamoDB adapter. */
export const TABLE_KEYS = {
  partitionKey: 'pk',
  sortKey: 'sk',
  segmentIndex: { name: 'bySegment', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
} as const;
