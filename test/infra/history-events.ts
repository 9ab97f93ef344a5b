/**
 * Execution-history events of a Standard workflow run, counted by walking its Amazon States
 * Language definition with the Step Functions history event model. A Standard execution fails
 * once its history reaches 25,000 events, and an inline Map's iterations count in the parent's.
 */
export const HISTORY_EVENT_LIMIT = 25_000;

/** Events per visit of a state, by type (e.g. TaskStateEntered, TaskScheduled, TaskStarted, TaskSucceeded, TaskStateExited). */
export const EVENTS_PER_VISIT = { Task: 5, Choice: 2, Pass: 2, Wait: 3, Succeed: 2, Fail: 1, Map: 4, Parallel: 4 } as const;
/** MapIterationStarted and MapIterationSucceeded per item. */
export const EVENTS_PER_MAP_ITERATION = 2;
/** A retried Task adds TaskFailed, then TaskScheduled and TaskStarted again. */
export const EVENTS_PER_RETRY = 3;
/** ExecutionStarted and ExecutionSucceeded. */
export const EXECUTION_EVENTS = 2;

export interface HistoryState {
  readonly Type: string;
  readonly Next?: string;
  readonly End?: boolean;
  readonly ItemProcessor?: HistoryDefinition;
  readonly Iterator?: HistoryDefinition;
}

export interface HistoryDefinition {
  readonly StartAt: string;
  readonly States: Readonly<Record<string, HistoryState>>;
}

export interface HistoryScenario {
  /** Items a Map state iterates over. */
  mapItems(mapState: string): number;
  /** The state a Choice goes to at its n-th visit (1-based) within one execution or Map iteration. */
  choose(choiceState: string, visit: number): string;
  /** Retries of a Task at one visit. */
  retries?(taskState: string): number;
}

/** Events one successful run adds to the history under the scenario. */
export function historyEvents(definition: HistoryDefinition, scenario: HistoryScenario): number {
  return EXECUTION_EVENTS + walk(definition, scenario);
}

function walk(definition: HistoryDefinition, scenario: HistoryScenario): number {
  const visits = new Map<string, number>();
  let events = 0;
  let name: string | undefined = definition.StartAt;
  for (let steps = 0; name !== undefined; steps++) {
    if (steps > 1_000_000) throw new Error('the scenario never leaves a loop');
    const state: HistoryState | undefined = definition.States[name];
    if (state === undefined) throw new Error(`no state ${name}`);
    const visit: number = (visits.get(name) ?? 0) + 1;
    visits.set(name, visit);
    const type = state.Type as keyof typeof EVENTS_PER_VISIT;
    events += EVENTS_PER_VISIT[type] ?? 2;
    if (state.Type === 'Task') events += EVENTS_PER_RETRY * (scenario.retries?.(name) ?? 0);
    if (state.Type === 'Map') {
      const processor = state.ItemProcessor ?? state.Iterator;
      if (processor === undefined) throw new Error(`Map ${name} has no processor`);
      // Iterations are alike under the scenario: count one, times the items.
      events += scenario.mapItems(name) * (EVENTS_PER_MAP_ITERATION + walk(processor, scenario));
    }
    if (state.Type === 'Succeed' || state.Type === 'Fail' || state.End === true) break;
    name = state.Type === 'Choice' ? scenario.choose(name, visit) : state.Next;
  }
  return events;
}
