import { domainToASCII } from 'node:url';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';

/** Small, pure cleaners for the values found in real exports. Each returns undefined when the value cannot be read. */

const EMAIL = /^[^\s@"(),:;<>[\]\\]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/;

/**
 * Characters that show nothing (zero-width, joiners, bidi controls, soft hyphen, variation selectors,
 * fillers) or control: an address holding one looks like another address but is not, so it is refused.
 */
const INVISIBLE = /\p{Cc}|\p{Cf}|\p{Default_Ignorable_Code_Point}|[\u2028\u2029]/u;

/**
 * The one form of an address that strata hashes and stores: Unicode NFC, trimmed, lower-case, the
 * domain in punycode (IDNA). Invisible characters and compatibility forms (fullwidth letters,
 * ligatures, superscripts) are refused rather than folded, since folding would merge look-alikes.
 */
export function cleanEmail(raw: string | undefined): string | undefined {
  const text = raw?.normalize('NFC').trim();
  if (!text || INVISIBLE.test(text) || text.normalize('NFKC') !== text) return undefined;
  const lower = text.toLowerCase().normalize('NFC');
  const at = lower.lastIndexOf('@');
  if (at <= 0) return undefined;
  const domain = domainToASCII(lower.slice(at + 1));
  const email = `${lower.slice(0, at)}@${domain}`;
  if (domain === '' || email.length > 254 || !EMAIL.test(email)) return undefined;
  return email;
}

/**
 * An id another system gives the customer (loyalty card, CRM): compatibility-normalized, lower-case,
 * without spaces, dots, dashes or underscores, so "LY-0042 7" and "ly00427" are one id.
 */
export function cleanExternalId(raw: string | undefined): string | undefined {
  const id = raw?.normalize('NFKC').toLowerCase().replace(/[\s._-]+/g, '');
  if (!id || id.length > 128) return undefined;
  return id;
}

/**
 * Reads "1,234.50", "$12", "12,50 €" (decimal comma) and "(3.00)" as numbers. With a declared
 * decimal separator the other one is only a thousands separator.
 */
export function cleanMoney(raw: string | undefined, decimalSeparator?: '.' | ','): number | undefined {
  if (raw === undefined) return undefined;
  let text = raw.trim().replace(/[\s$€£¥]|[A-Z]{3}/g, '');
  if (text === '') return undefined;
  let sign = 1;
  if (/^\(.*\)$/.test(text)) {
    sign = -1;
    text = text.slice(1, -1);
  }
  const lastComma = text.lastIndexOf(',');
  const lastDot = text.lastIndexOf('.');
  if (decimalSeparator === ',') {
    text = lastDot > lastComma && lastComma !== -1 ? '' : text.replace(/\./g, '').replace(',', '.');
  } else if (decimalSeparator === '.') {
    text = lastComma > lastDot && lastDot !== -1 ? '' : text.replace(/,/g, '');
  } else if (lastComma > lastDot) {
    // Decimal comma when it is the last separator followed by 1-2 digits: "1.234,50" or "12,5".
    text = /,\d{1,2}$/.test(text) ? text.replace(/\./g, '').replace(',', '.') : text.replace(/,/g, '');
  } else {
    text = text.replace(/,/g, '');
  }
  // Scientific notation appears where a tool wrote float noise such as 4.440892e-16.
  if (!/^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(text)) return undefined;
  const value = sign * Number(text);
  return Number.isFinite(value) ? roundMoney(value) : undefined;
}

/**
 * Whether an amount reads two ways without a declared decimal separator: one separator followed by
 * exactly three digits, as in "1.234" (1.234 or 1234) and "1,234".
 */
export function isAmbiguousMoney(raw: string): boolean {
  return /^[-+(]?[$€£¥]?\s?[1-9]\d{0,2}[.,]\d{3}\)?(\s?[$€£¥]|\s?[A-Z]{3})?$/.test(raw.trim());
}

/**
 * The decimal separator a set of amounts shows ("261.96", "1,234.50" a point; "12,50" a comma), or
 * undefined when none shows one or they disagree.
 */
export function decimalSeparatorOf(amounts: Iterable<string | undefined>): '.' | ',' | undefined {
  let point = false;
  let comma = false;
  for (const raw of amounts) {
    const text = raw?.trim();
    if (text === undefined || isAmbiguousMoney(text)) continue;
    if (/\.\d+$|,\d{3}(,\d{3})*\.?$|,\d{3},/.test(text) && !/,\d{1,2}$/.test(text)) point = true;
    else if (/,\d+$|\.\d{3}(\.\d{3})*,?$|\.\d{3}\./.test(text)) comma = true;
  }
  return point === comma ? undefined : point ? '.' : ',';
}

/** Rounds to cents, half away from zero, as money is rounded (4.125 → 4.13, -4.125 → -4.13). */
export function roundMoney(value: number): number {
  // The epsilon absorbs binary noise: 4.125 * 100 is 412.49999999999994.
  return (Math.sign(value) * Math.round(Math.abs(value) * 100 + 1e-7)) / 100 + 0;
}

export function cleanInteger(raw: string | undefined): number | undefined {
  const text = raw?.trim();
  if (!text || !/^[-+]?\d+$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const COMPACT_DATE = /^(\d{4})(\d{2})(\d{2})$/;
const SLASH_DATE = /^(\d{1,2})[/.](\d{1,2})[/.](\d{4})(?: (\d{1,2}):(\d{2})(?::(\d{2}))?)?$/;

/** Values that exports write for "nothing here". */
const MISSING = new Set(['', 'na', 'n/a', 'null', 'none', 'nan', '-']);

export function isMissing(raw: string | undefined): boolean {
  return raw === undefined || MISSING.has(raw.trim().toLowerCase());
}

/** Normalizes a phone number to E.164 with libphonenumber, given the customer's country when known. */
export function cleanPhone(raw: string | undefined, country?: string): string | undefined {
  if (isMissing(raw)) return undefined;
  const region = country && /^[A-Z]{2}$/.test(country) ? (country as CountryCode) : undefined;
  const phone = parsePhoneNumberFromString(raw ?? '', region);
  return phone?.isValid() ? phone.number : undefined;
}

export type DateFormat = 'iso' | 'us' | 'eu' | 'yyyymmdd' | 'epoch';

/**
 * Parses a date to an ISO-8601 UTC instant. Forms: ISO (with or without time and offset),
 * YYYYMMDD, US m/d/yyyy, EU d/m/yyyy (by declared format, or when the first part exceeds 12),
 * and epoch seconds or milliseconds. A time without an offset is a wall-clock time in `timeZone`
 * (an IANA name, UTC by default).
 */
export function cleanDate(raw: string | undefined, format?: DateFormat, timeZone = 'UTC'): string | undefined {
  if (raw === undefined) return undefined;
  // Exports repeat the same dates row after row: remember recent answers (a pure function, so safe).
  const key = `${raw}\u001f${format ?? ''}\u001f${timeZone}`;
  const cached = recentDates.get(key);
  if (cached !== undefined || recentDates.has(key)) return cached;
  const instant = parseDate(raw, format);
  const iso = instant === undefined || !instant.local || timeZone === 'UTC' ? instant?.iso : shiftFromZone(instant.iso, timeZone);
  if (recentDates.size >= 50_000) recentDates.clear();
  recentDates.set(key, iso);
  return iso;
}

const recentDates = new Map<string, string | undefined>();

function parseDate(raw: string | undefined, format?: DateFormat): { iso: string; local: boolean } | undefined {
  const text = raw?.trim();
  if (!text) return undefined;
  let iso: string | undefined;
  let local = true;
  const compact = COMPACT_DATE.exec(text);
  const isoMatch = ISO_DATE.exec(text);
  const slash = SLASH_DATE.exec(text);
  if (format === 'epoch' || (format === undefined && /^\d{10}(\d{3})?$/.test(text))) {
    const n = Number(text);
    const date = new Date(text.length > 10 ? n : n * 1000);
    // A value declared epoch that is no number (or out of Date's range) is unreadable, not fatal.
    if (!/^\d+$/.test(text) || Number.isNaN(date.getTime())) return undefined;
    iso = date.toISOString();
    local = false;
  } else if (compact) {
    iso = build(compact[1], compact[2], compact[3]);
  } else if (isoMatch) {
    const [, y, m, d, hh = '00', mm = '00', ss = '00', zone] = isoMatch;
    const offset = zone === undefined || zone === 'Z' ? 'Z' : zone.replace(/^([+-]\d{2})(\d{2})$/, '$1:$2');
    local = zone === undefined;
    iso = validInstant(`${y}-${m}-${d}T${hh}:${mm}:${ss}${offset}`, y, m, d);
  } else if (slash) {
    const [, a = '', b = '', y, hh = '0', mm = '00', ss = '00'] = slash;
    const euFirst = format === 'eu' || (format !== 'us' && Number(a) > 12);
    const [day, month] = euFirst ? [a, b] : [b, a];
    iso = validInstant(`${y}-${month.padStart(2, '0')}-${day.padStart(2, '0')}T${hh.padStart(2, '0')}:${mm}:${ss}Z`, y, month, day);
  }
  return iso === undefined ? undefined : { iso, local };
}

/** Reads a wall-clock time written as if UTC as a time in `timeZone`, returning the real UTC instant. */
function shiftFromZone(wallClockAsUtc: string, timeZone: string): string | undefined {
  const wall = Date.parse(wallClockAsUtc);
  let formatter: Intl.DateTimeFormat;
  try {
    formatter = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  } catch {
    return undefined;
  }
  const offsetAt = (instant: number): number => {
    const parts = Object.fromEntries(formatter.formatToParts(instant).map((p) => [p.type, p.value]));
    const asUtc = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
    return asUtc - Math.floor(instant / 1000) * 1000;
  };
  // Two passes settle the offset across daylight-saving changes.
  let guess = wall - offsetAt(wall);
  guess = wall - offsetAt(guess);
  return new Date(guess).toISOString();
}

function build(y: string | undefined, m: string | undefined, d: string | undefined): string | undefined {
  return validInstant(`${y}-${m}-${d}T00:00:00Z`, y, m, d);
}

/** Rejects impossible calendar dates such as 2021-02-30 that Date would silently roll over. */
function validInstant(text: string, y: string | undefined, m: string | undefined, d: string | undefined): string | undefined {
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) return undefined;
  const probe = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
  if (probe.getUTCMonth() !== Number(m) - 1 || probe.getUTCDate() !== Number(d)) return undefined;
  return date.toISOString();
}

/** Cells that a spreadsheet would run as a formula get a leading quote (CSV injection). */
export function neutralizeFormula(cell: string): string {
  return /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell;
}
