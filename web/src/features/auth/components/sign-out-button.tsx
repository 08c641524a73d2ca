import { useState } from "react";
import { Button } from "@/components/ui/button";
import { auth, useAuthState } from "@/lib/auth-state";
import { signOut } from "../api/session";

/** Ends the session on hodeid (not only in this browser); shown when signed in. */
export function SignOutButton() {
  const state = useAuthState();
  const [busy, setBusy] = useState(false);
  if (state !== "signed-in") return null;
  async function click() {
    setBusy(true);
    try {
      await signOut();
    } finally {
      setBusy(false);
      auth.set("signed-out");
    }
  }
  return <Button variant="ghost" busy={busy} onClick={() => void click()}>Sign out</Button>;
}
