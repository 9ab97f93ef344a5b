/** Small, pure cleaners for the values found in real exports. Each returns undefined when the value cannot be read. */

const EMAIL = /^[^\s@"(),:;<>[\]\\]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/;

export function cleanEmail(raw: string | undefined): string | undefined {
  const email = raw?.trim().toLowerCase();
  if (!email || email.length > 254 || !EMAIL.test(email)) return undefined;
  return email;
}

/** Reads "1,234.50", "$12", "12,50 €" (decimal comma) and "(3.00)" as numbers. */
export function cleanMoney(raw: string | undefined): number | undefined {
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
  if (lastComma > lastDot) {
    // Decimal comma when it is the last separator followed by 1-2 digits: "1.234,50" or "12,5".
    text = /,\d{1,2}$/.test(text) ? text.replace(/\./g, '').replace(',', '.') : text.replace(/,/g, '');
  } else {
    text = text.replace(/,/g, '');
  }
  if (!/^[-+]?\d+(\.\d+)?$/.test(text)) return undefined;
  const value = sign * Number(text);
  return Number.isFinite(value) ? Math.round(value * 100) / 100 : undefined;
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

/**
 * Parses a date to an ISO-8601 UTC instant. Forms: ISO (with or without time and offset),
 * YYYYMMDD, US m/d/yyyy, EU d/m/yyyy (by declared format, or when the first part exceeds 12),
 * and epoch seconds or milliseconds. Local times without an offset are read as UTC here.
 */
export function cleanDate(raw: string | undefined, format?: 'iso' | 'us' | 'eu' | 'yyyymmdd' | 'epoch'): string | undefined {
  const text = raw?.trim();
  if (!text) return undefined;
  let iso: string | undefined;
  const compact = COMPACT_DATE.exec(text);
  const isoMatch = ISO_DATE.exec(text);
  const slash = SLASH_DATE.exec(text);
  if (format === 'epoch' || (format === undefined && /^\d{10}(\d{3})?$/.test(text))) {
    const n = Number(text);
    iso = new Date(text.length > 10 ? n : n * 1000).toISOString();
  } else if (compact) {
    iso = build(compact[1], compact[2], compact[3]);
  } else if (isoMatch) {
    const [, y, m, d, hh = '00', mm = '00', ss = '00', zone] = isoMatch;
    const offset = zone === undefined || zone === 'Z' ? 'Z' : zone.replace(/^([+-]\d{2})(\d{2})$/, '$1:$2');
    iso = validInstant(`${y}-${m}-${d}T${hh}:${mm}:${ss}${offset}`, y, m, d);
  } else if (slash) {
    const [, a = '', b = '', y, hh = '0', mm = '00', ss = '00'] = slash;
    const euFirst = format === 'eu' || (format !== 'us' && Number(a) > 12);
    const [day, month] = euFirst ? [a, b] : [b, a];
    iso = validInstant(`${y}-${month.padStart(2, '0')}-${day.padStart(2, '0')}T${hh.padStart(2, '0')}:${mm}:${ss}Z`, y, month, day);
  }
  return iso;
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
