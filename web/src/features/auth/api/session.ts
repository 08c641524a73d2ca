/**
 * The dashboard's sign-in with hodeid (SECURITY.md): the API token is sent
 * once, hodeid answers with an HttpOnly session cookie that this code never
 * sees.  Every request carries x-hodei-csrf, which a cross-site form cannot
 * send; the cookie goes along because the calls are same-origin.
 */
import { CSRF_HEADER } from "@/lib/auth-state";

export interface SessionState {
  tokenRequired: boolean;
  signedIn: boolean;
}

const base = (): string => import.meta.env.VITE_HODEI_URL ?? "";

/** What hodeid asks of this browser; a server without sessions needs nothing. */
export async function fetchSession(): Promise<SessionState> {
  try {
    const res = await fetch(`${base()}/api/session`, { credentials: "include", cache: "no-store" });
    if (!res.ok) return { tokenRequired: false, signedIn: true };
    const body = (await res.json()) as { token_required?: boolean; signed_in?: boolean };
    return { tokenRequired: body.token_required === true, signedIn: body.signed_in !== false };
  } catch {
    return { tokenRequired: false, signedIn: true }; // unreachable: the banner says so
  }
}

/** Trade the API token for a session; false when hodeid refuses the token. */
export async function signIn(token: string): Promise<boolean> {
  const res = await fetch(`${base()}/api/session`, {
    method: "POST",
    credentials: "include",
    headers: { authorization: `Bearer ${token}`, [CSRF_HEADER]: "1" },
  });
  if (res.status === 401) return false;
  if (!res.ok) throw new Error(`sign-in failed: HTTP ${res.status}`);
  return true;
}

export async function signOut(): Promise<void> {
  await fetch(`${base()}/api/logout`, {
    method: "POST",
    credentials: "include",
    headers: { [CSRF_HEADER]: "1" },
  });
}
