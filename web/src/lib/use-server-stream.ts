import { useEffect, useRef, useState } from "react";
import { connection } from "./connection";
import { isUnreachable } from "./errors";

export type StreamStatus = "connecting" | "live" | "ended" | "error";

export interface ServerStreamOptions<T> {
  /** Opens the stream; called again on every reconnect. */
  open: (signal: AbortSignal) => AsyncIterable<T>;
  onMessage: (message: T) => void;
  enabled?: boolean;
  /** Reconnect when the server ends the stream normally (endless feeds). */
  reconnectOnEnd?: boolean;
}

const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 10_000;

/**
 * Consumes a server-streaming call for as long as the component is mounted
 * (or until `deps` change).  On failure it reconnects with exponential
 * backoff; this is how the dashboard recovers by itself when hodeid comes
 * back.  The latest `open`/`onMessage` are used without restarting.
 */
export function useServerStream<T>(options: ServerStreamOptions<T>, deps: readonly unknown[]): StreamStatus {
  const { enabled = true } = options;
  const latest = useRef(options);
  latest.current = options;
  const [status, setStatus] = useState<StreamStatus>("connecting");

  useEffect(() => {
    if (!enabled) return;
    const abort = new AbortController();
    void runWithReconnect(latest, abort.signal, setStatus);
    return () => abort.abort();
  }, [enabled, ...deps]);

  return status;
}

async function runWithReconnect<T>(
  latest: { current: ServerStreamOptions<T> },
  signal: AbortSignal,
  setStatus: (s: StreamStatus) => void,
): Promise<void> {
  let delay = BACKOFF_MIN_MS;
  while (!signal.aborted) {
    setStatus("connecting");
    try {
      let first = true;
      for await (const message of latest.current.open(signal)) {
        if (first) {
          first = false;
          setStatus("live");
          connection.reportSuccess();
          delay = BACKOFF_MIN_MS;
        }
        latest.current.onMessage(message);
      }
      if (signal.aborted) return;
      connection.reportSuccess();
      if (!latest.current.reconnectOnEnd) {
        setStatus("ended");
        return;
      }
    } catch (err) {
      if (signal.aborted) return;
      if (isUnreachable(err)) connection.reportUnreachable();
      setStatus("error");
    }
    await sleep(delay, signal);
    delay = Math.min(delay * 2, BACKOFF_MAX_MS);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
