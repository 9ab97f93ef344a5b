import type { ObjectStore } from '../adapters/ports/objects.ts';
import { scoreAggregates, type ModelFacts, type Models, type ScoredAggregates } from '../core/models/clv.ts';
import { fittedModelSchema, LATEST_MODEL_KEY, type FittedModel } from '../core/models/fitted-model.ts';
import { InputError } from '../core/errors.ts';
import { parseOrThrow } from '../core/validation.ts';

/** Assignable to RefreshOptions['scoreModel']: it reads only the aggregates the models need. */
export type ModelScorer = (orders: ScoredAggregates, now: Date) => ModelFacts | undefined;

/**
 * The latest fitted model (models/latest.json, written by the refit) as the scorer segment
 * evaluation uses for model.* facts, or undefined before the first fit: the model-based segments
 * then fall back to their rule-based definitions. A stored model that does not parse stops the
 * evaluation with its key named, rather than silently switching churn risk back to the rules.
 */
export async function loadModelScorer(objects: Pick<ObjectStore, 'readText'>): Promise<ModelScorer | undefined> {
  const text = await objects.readText(LATEST_MODEL_KEY);
  if (text === undefined) return undefined;
  return modelScorer(parseModel(text));
}

function modelScorer(model: Models): ModelScorer {
  return (orders, now) => scoreAggregates(model, orders, now);
}

function parseModel(text: string): FittedModel {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InputError(`${LATEST_MODEL_KEY} is not JSON: ${(error as Error).message}`);
  }
  return parseOrThrow(fittedModelSchema, json, 'fitted model', LATEST_MODEL_KEY);
}
