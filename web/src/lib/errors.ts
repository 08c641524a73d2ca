import { Code, ConnectError } from "@connectrpc/connect";

/** True when the error means "the server could not be reached". */
export function isUnreachable(err: unknown): boolean {
  const ce = ConnectError.from(err);
  if (ce.code === Code.Unavailable) return true;
  return ce.code === Code.Unknown && (ce.cause instanceof TypeError || /fetch|network/i.test(ce.rawMessage));
}

/** The server's own message (e.g. "command: must not be empty"), for forms. */
export function errorMessage(err: unknown): string {
  if (err instanceof ConnectError) return err.rawMessage || Code[err.code];
  if (err instanceof Error) return err.message;
  return String(err);
}

export function isNotFound(err: unknown): boolean {
  return err instanceof ConnectError && err.code === Code.NotFound;
}

/**
 * Which form field a server validation message is about.  Messages name the
 * field first ("command: must not be empty", "job_definition.env[2]: ...");
 * `aliases` maps those names (after the request prefix and any index are
 * dropped) to the form's fields.
 */
export function fieldOfMessage<F extends string>(message: string, aliases: Record<string, F>): F | null {
  const head = message.split(":", 1)[0].trim();
  const path = head.replace(/^[a-z_]+\./, "").replace(/\[.*$/, "").replace(/^capacity\./, "");
  return aliases[path] ?? null;
}
