/**
 * Derivative-free minimisation by the Nelder–Mead simplex (standard coefficients: reflection 1,
 * expansion 2, contraction 1/2, shrink 1/2; Lagarias et al. 1998). Written here because no
 * maintained npm optimiser loads under Node ESM (see the README's "Models" section); the model
 * fits run it on log-parameters, so the search is unconstrained and scale-free.
 */
export interface MinimizeOptions {
  readonly maxIterations?: number;
  /** Stop when the simplex's function values differ by less than this (absolute)... */
  readonly functionTolerance?: number;
  /** ...and its vertices by less than this in every coordinate. */
  readonly pointTolerance?: number;
  /** Size of the initial simplex's steps along each axis. */
  readonly initialStep?: number;
}

export interface MinimizeResult {
  readonly x: readonly number[];
  readonly fx: number;
  readonly iterations: number;
  readonly evaluations: number;
  readonly converged: boolean;
}

interface Vertex {
  x: number[];
  fx: number;
}

export function minimize(f: (x: readonly number[]) => number, start: readonly number[], options: MinimizeOptions = {}): MinimizeResult {
  const n = start.length;
  const maxIterations = options.maxIterations ?? 400 * n;
  const fTol = options.functionTolerance ?? 1e-9;
  const xTol = options.pointTolerance ?? 1e-7;
  const step = options.initialStep ?? 0.5;
  let evaluations = 0;
  // A non-finite value (overflow far from the optimum) counts as +Infinity, so the simplex retreats.
  const evaluate = (x: number[]): Vertex => {
    evaluations++;
    const fx = f(x);
    return { x, fx: Number.isFinite(fx) ? fx : Number.POSITIVE_INFINITY };
  };
  const simplex: Vertex[] = [evaluate([...start])];
  for (let i = 0; i < n; i++) {
    const x = [...start];
    x[i] = (x[i] ?? 0) + step;
    simplex.push(evaluate(x));
  }
  const along = (from: readonly number[], to: readonly number[], t: number): number[] => from.map((v, i) => v + t * ((to[i] ?? 0) - v));
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    simplex.sort((p, q) => p.fx - q.fx);
    const best = simplex[0] as Vertex;
    const worst = simplex[n] as Vertex;
    const secondWorst = simplex[n - 1] as Vertex;
    if (Math.abs(worst.fx - best.fx) <= fTol && simplex.every((v) => v.x.every((xi, i) => Math.abs(xi - (best.x[i] ?? 0)) <= xTol))) {
      converged = true;
      break;
    }
    iterations++;
    const centroid = new Array<number>(n).fill(0);
    for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) centroid[i] = (centroid[i] ?? 0) + ((simplex[j] as Vertex).x[i] ?? 0) / n;
    const reflected = evaluate(along(centroid, worst.x, -1));
    if (reflected.fx < best.fx) {
      const expanded = evaluate(along(centroid, worst.x, -2));
      simplex[n] = expanded.fx < reflected.fx ? expanded : reflected;
      continue;
    }
    if (reflected.fx < secondWorst.fx) {
      simplex[n] = reflected;
      continue;
    }
    const outside = reflected.fx < worst.fx;
    const contracted = evaluate(along(centroid, worst.x, outside ? -0.5 : 0.5));
    if (contracted.fx < (outside ? reflected.fx : worst.fx)) {
      simplex[n] = contracted;
      continue;
    }
    for (let j = 1; j <= n; j++) simplex[j] = evaluate(along(best.x, (simplex[j] as Vertex).x, 0.5));
  }
  simplex.sort((p, q) => p.fx - q.fx);
  const best = simplex[0] as Vertex;
  return { x: best.x, fx: best.fx, iterations, evaluations, converged };
}
