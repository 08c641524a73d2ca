/** Non-empty lines of a textarea, without trailing CRs. */
export function nonEmptyLines(text: string): string[] {
  return text.split("\n").map((l) => l.replace(/\r$/, "")).filter((l) => l.trim() !== "");
}

/** A form value the dashboard refuses before sending: the field and why. */
export class FormError<F extends string = string> extends Error {
  constructor(readonly field: F, message: string) {
    super(message);
  }
}

/**
 * "KEY=value" lines to a map.  A line without "=" is refused (as the CLI
 * refuses it), naming the line: `what` is the field's label, `field` its key.
 * `validKey` (optional) checks each key, e.g. an environment variable name.
 */
export function parseKeyValueLines<F extends string>(
  text: string,
  field: F,
  what: string,
  validKey?: { test: (key: string) => boolean; rule: string },
): Record<string, string> {
  const map: Record<string, string> = {};
  const lines = text.split("\n").map((l) => l.replace(/\r$/, ""));
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    const eq = line.indexOf("=");
    if (eq < 0) throw new FormError(field, `${what}, line ${i + 1}: expected NAME=value, not "${line.trim()}"`);
    const key = line.slice(0, eq).trim();
    if (key === "") throw new FormError(field, `${what}, line ${i + 1}: the name before "=" is empty`);
    if (validKey && !validKey.test(key)) throw new FormError(field, `${what}, line ${i + 1}: "${key}" ${validKey.rule}`);
    map[key] = line.slice(eq + 1);
  });
  return map;
}

/** Environment variable names, as the CLI and the server accept them. */
export const ENV_NAME = {
  test: (key: string) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(key),
  rule: "is not a variable name (letters, digits and _, not starting with a digit)",
};
