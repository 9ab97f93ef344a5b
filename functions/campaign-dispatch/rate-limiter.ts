/** Waits so that recipients handed to SES never exceed `perSecond` on average, from the first call on. */
export interface RateLimiter {
  readonly perSecond: number;
  take(recipients: number): Promise<void>;
}

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * Virtual scheduling (GCRA): each call books the next free instant and moves it on by
 * recipients / rate, so a call of 50 at 100/s is followed by one 0.5 s later. Idle time builds no
 * burst credit beyond the current instant, which keeps every one-second window within the rate.
 */
export function createRateLimiter(perSecond: number, clock: Clock = realClock): RateLimiter {
  if (!(perSecond > 0) || !Number.isFinite(perSecond)) throw new RangeError(`send rate must be a positive number, got ${perSecond}`);
  let nextFree = -Infinity;
  return {
    perSecond,
    async take(recipients) {
      const now = clock.now();
      const start = Math.max(now, nextFree);
      nextFree = start + (recipients / perSecond) * 1000;
      if (start > now) await clock.sleep(start - now);
    },
  };
}
