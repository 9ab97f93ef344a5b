/**
 * An IANA zone Intl knows, e.g. Europe/Berlin. Apart from campaign.ts, which checks campaigns' zones
 * with it, so that the dispatch settings can check theirs without building the campaign schemas.
 */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
