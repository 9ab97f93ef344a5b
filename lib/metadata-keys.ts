/** Metadata key naming a function's handler file: the local stack uses it to run the same code. */
export const ENTRY_METADATA_KEY = 'strata:entry';
