import { useSyncExternalStore } from "react";

/**
 * Whether hodeid answered the last call.  Every API call and stream reports
 * here; the banner reads it.  Recovery needs no polling of its own: live
 * streams reconnect with backoff and the first success flips it back.
 */
export type ConnectionState = "online" | "offline";

type Listener = () => void;

let state: ConnectionState = "online";
const listeners = new Set<Listener>();

function set(next: ConnectionState): void {
  if (next === state) return;
  state = next;
  for (const listener of listeners) listener();
}

export const connection = {
  get: (): ConnectionState => state,
  reportSuccess: (): void => set("online"),
  reportUnreachable: (): void => set("offline"),
  subscribe(listener: Listener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

export function useConnectionState(): ConnectionState {
  return useSyncExternalStore(connection.subscribe, connection.get, connection.get);
}
