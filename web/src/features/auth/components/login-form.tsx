import { useState, type FormEvent } from "react";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { signIn } from "../api/session";
import "./login-form.css";

/** Asks for the API token once; hodeid keeps the session in a cookie. */
export function LoginForm({ onSignedIn }: { onSignedIn: () => void }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      if (await signIn(token.trim())) onSignedIn();
      else setError("hodeid did not accept this token.");
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="login">
      <form className="login__card" onSubmit={submit} data-testid="login-form">
        <h1 className="brand">Hodei<span>Jobs</span></h1>
        <p>This server needs its API token. You sign in once; the browser keeps a session, not the token.</p>
        <Field label="API token" htmlFor="api-token" error={error}>
          <input id="api-token" type="password" autoComplete="current-password" value={token}
            onChange={(e) => setToken(e.target.value)} required />
        </Field>
        <Button type="submit" variant="primary" busy={busy} disabled={!token.trim()}>Sign in</Button>
      </form>
    </main>
  );
}
