/**
 * Checks on a file's header row. A header that holds data (a headerless export) must never be
 * echoed: its cells are a person's e-mail or name, so reasons here name no value.
 */

const EMAIL_LIKE = /[^\s@]+@[^\s@]+\.[^\s@]+/;
const NUMBER_ONLY = /^[-+]?[\d\s.,]*\d[\d\s.,]*$/;
const DATE_LIKE = /^\d{4}-\d{1,2}-\d{1,2}|^\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b|^\d{8}$/;
/** What a column name looks like: a word or a few, with the usual separators, not too long. */
const NAME_LIKE = /^[\p{L}_][\p{L}\p{N} _.#()/-]{0,63}$/u;

/** Why this header row is refused, or undefined when it reads as column names. */
export function headerRowProblem(names: readonly string[]): string | undefined {
  if (names.some((n) => EMAIL_LIKE.test(n) || NUMBER_ONLY.test(n) || DATE_LIKE.test(n.trim()))) {
    return 'the first row looks like data (it holds an e-mail address, a number or a date), not column names: add a header row';
  }
  // A plain object cannot hold a "__proto__" key: the parser would drop every cell of that column.
  if (names.includes('__proto__')) return 'a column named "__proto__" cannot be read: rename it';
  const seen = new Set<string>();
  for (const name of names) {
    // Blank names (trailing delimiters) cannot be mapped, so repeats of them are harmless.
    if (name !== '' && seen.has(name)) return `the header names column ${printableColumn(name)} more than once: rename one of them`;
    seen.add(name);
  }
  return undefined;
}

/** Whether a column name may be printed: it reads as a name, not as an address, number or date. */
export function looksLikeName(name: string): boolean {
  return NAME_LIKE.test(name) && !EMAIL_LIKE.test(name) && !DATE_LIKE.test(name);
}

/** A column name quoted for a message, or a placeholder when it could be someone's data. */
export function printableColumn(name: string): string {
  return looksLikeName(name) ? `"${name}"` : '(a column whose name is not shown)';
}
