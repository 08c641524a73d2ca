/** Non-empty lines of a textarea, without trailing CRs. */
export function nonEmptyLines(text: string): string[] {
  return text.split("\n").map((l) => l.replace(/\r$/, "")).filter((l) => l.trim() !== "");
}

/** "KEY=value" lines to a map; a line without "=" is a key with an empty value. */
export function parseKeyValueLines(text: string): Record<string, string> {
  const map: Record<string, string> = {};
  for (const line of nonEmptyLines(text)) {
    const eq = line.indexOf("=");
    if (eq < 0) map[line.trim()] = "";
    else map[line.slice(0, eq).trim()] = line.slice(eq + 1);
  }
  return map;
}
