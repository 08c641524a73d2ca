import { useEffect, type ReactNode } from "react";
import { Loading } from "@/components/ui/states";
import { auth, useAuthState } from "@/lib/auth-state";
import { fetchSession } from "../api/session";
import { LoginForm } from "./login-form";

/** The app once this browser may use hodeid; the sign-in form until then. */
export function AuthGate({ children }: { children: ReactNode }) {
  const state = useAuthState();
  useEffect(() => {
    void fetchSession().then((s) => auth.set(!s.tokenRequired ? "open" : s.signedIn ? "signed-in" : "signed-out"));
  }, []);
  if (state === "unknown") return <Loading />;
  if (state === "signed-out") return <LoginForm onSignedIn={() => auth.set("signed-in")} />;
  return <>{children}</>;
}
