import { act, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { auth } from "@/lib/auth-state";
import { AuthGate } from "./auth-gate";

/** A stand-in hodeid: GET /api/session and POST /api/session. */
function fakeHodeid(token: string) {
  const calls: { url: string; init?: RequestInit }[] = [];
  let signedIn = false;
  const fetchMock = vi.fn(async (url: string, init?: RequestInit) => {
    calls.push({ url, init });
    if (init?.method === "POST") {
      const headers = new Headers(init.headers);
      if (headers.get("x-hodei-csrf") !== "1") return new Response("", { status: 403 });
      signedIn = headers.get("authorization") === `Bearer ${token}`;
      return new Response("{}", { status: signedIn ? 200 : 401 });
    }
    return new Response(JSON.stringify({ token_required: true, signed_in: signedIn }));
  });
  vi.stubGlobal("fetch", fetchMock);
  return calls;
}

describe("AuthGate", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    auth.set("unknown");
  });

  it("asks for the token, refuses a wrong one, and shows the app after the right one", async () => {
    const calls = fakeHodeid("s3cret");
    render(<AuthGate><p>the app</p></AuthGate>);
    const input = await screen.findByLabelText("API token");
    fireEvent.change(input, { target: { value: "wrong" } });
    fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("did not accept");
    fireEvent.change(input, { target: { value: "s3cret" } });
    fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByText("the app")).toBeInTheDocument();
    expect(calls.filter((c) => c.init?.method === "POST")).toHaveLength(2);
    // The session ends when a call comes back UNAUTHENTICATED.
    act(() => auth.reportUnauthenticated());
    await waitFor(() => expect(screen.getByLabelText("API token")).toBeInTheDocument());
  });

  it("shows the app at once when hodeid needs no token", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => new Response(JSON.stringify({ token_required: false, signed_in: true }))));
    render(<AuthGate><p>the app</p></AuthGate>);
    expect(await screen.findByText("the app")).toBeInTheDocument();
  });
});
