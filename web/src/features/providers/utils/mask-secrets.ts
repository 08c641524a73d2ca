const SECRET_KEY = /token|secret|password|passwd|api[_-]?key|credential/i;
const MASK = "***";

/**
 * Pretty-prints a provider's configuration JSON with every secret-looking
 * value masked.  The server already masks the token; this is a second
 * guard so a secret in type-specific options is never shown either.
 */
export function maskedJson(json: string): string {
  if (!json.trim()) return "{}";
  try {
    return JSON.stringify(mask(JSON.parse(json)), null, 2);
  } catch {
    return "(configuration is not valid JSON)";
  }
}

function mask(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(mask);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) && v !== "" && v !== null && typeof v !== "object" && typeof v !== "boolean" ? MASK : mask(v)]),
    );
  }
  return value;
}
