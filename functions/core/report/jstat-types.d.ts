// jstat ships no types; declared here are only the distributions strata uses.
declare module 'jstat' {
  interface Distribution {
    inv(p: number, ...parameters: number[]): number;
    cdf(x: number, ...parameters: number[]): number;
  }
  interface JStatStatic {
    normal: Distribution;
    studentt: Distribution;
    mean(values: readonly number[]): number;
    variance(values: readonly number[], sample?: boolean): number;
  }
  const jStat: JStatStatic & { jStat: JStatStatic };
  export = jStat;
}
