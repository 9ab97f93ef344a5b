import type { ObjectStore } from '../adapters/ports/objects.ts';
import { InputError } from '../core/errors.ts';
import { assembleDefinitions, BUILTIN_CONFIG_KEY, SEGMENTS_PREFIX } from '../core/segments/catalog.ts';
import type { SegmentDefinition } from '../core/segments/definition.ts';

/**
 * The segment definitions in force, read from config/segments/ in the data bucket: builtin.json
 * tunes the built-ins' thresholds, every other *.json is a user definition.
 */
export async function loadSegmentDefinitions(objects: Pick<ObjectStore, 'list' | 'readText'>): Promise<SegmentDefinition[]> {
  const keys = (await objects.list(SEGMENTS_PREFIX)).filter((k) => k.endsWith('.json'));
  const read = async (key: string) => {
    const text = await objects.readText(key);
    try {
      return text === undefined ? undefined : (JSON.parse(text) as unknown);
    } catch (error) {
      throw new InputError(`${key} is not valid JSON: ${(error as Error).message}`);
    }
  };
  const builtinConfig = keys.includes(BUILTIN_CONFIG_KEY) ? await read(BUILTIN_CONFIG_KEY) : undefined;
  const own = await Promise.all(keys.filter((k) => k !== BUILTIN_CONFIG_KEY).map(async (key) => ({ source: key, json: await read(key) })));
  return assembleDefinitions(builtinConfig, own);
}
