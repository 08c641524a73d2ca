import { useConnectionState } from "@/lib/connection";

/** Shown while hodeid cannot be reached; it goes away by itself on recovery. */
export function ConnectionBanner() {
  const state = useConnectionState();
  if (state === "online") return null;
  return (
    <div className="banner" role="alert" data-testid="offline-banner">
      <span className="spinner spinner--small" aria-hidden />
      Cannot reach the Hodei server. Reconnecting automatically…
    </div>
  );
}
