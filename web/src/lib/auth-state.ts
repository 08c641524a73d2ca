import { useSyncExternalStore } from "react";

/**
 * Whether this browser must sign in.  The sign-in gate reads it; the
 * transport flips it to "signed-out" when a call comes back UNAUTHENTICATED
 * (the session expired or hodeid restarted).
 */
export type AuthState = "unknown" | "open" | "signed-in" | "signed-out";

/** The header that marks a request as the dashboard's own (CSRF). */
export const CSRF_HEADER = "x-hodei-csrf";

type Listener = () => void;
let state: AuthState = "unknown";
const listeners = new Set<Listener>();

export const auth = {
  get: (): AuthState => state,
  set(next: AuthState): void {
    if (next === state) return;
    state = next;
    for (const listener of listeners) listener();
  },
  /** A call was refused for want of a token: sign in again (if a token is in use). */
  reportUnauthenticated(): void {
    if (state === "signed-in") auth.set("signed-out");
  },
  subscribe(listener: Listener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

export function useAuthState(): AuthState {
  return useSyncExternalStore(auth.subscribe, auth.get, auth.get);
}
