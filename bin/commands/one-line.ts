/** Longest error line the CLI prints; past it a hostile input would only bury the reason. */
const MAX_LINE = 500;

/**
 * A message as one printable line: line breaks become spaces and other control characters
 * (terminal escapes from a garbage file, say) become U+FFFD, so stderr says one thing and
 * cannot restyle the terminal.
 */
export function oneLine(message: string, max = MAX_LINE): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this removes
  const line = message.replace(/\s*[\r\n\t]+\s*/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f]/g, '\uFFFD').trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

/** A user-supplied value quoted in a message, cut short when it is long: `xxxx… (10000 characters)`. */
export function abbreviate(value: string, max = 60): string {
  return value.length <= max ? value : `${value.slice(0, max)}… (${value.length} characters)`;
}
