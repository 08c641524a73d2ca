import { renderHook, waitFor } from "@testing-library/react";
import { Code, ConnectError } from "@connectrpc/connect";
import { connection } from "./connection";
import { useServerStream } from "./use-server-stream";

describe("useServerStream", () => {
  it("reconnects after the server goes away and reports the outage", async () => {
    let opens = 0;
    const received: number[] = [];
    async function* open(): AsyncIterable<number> {
      opens++;
      if (opens === 1) throw new ConnectError("down", Code.Unavailable);
      yield 1;
      yield 2;
    }
    const { result } = renderHook(() =>
      useServerStream({ open, onMessage: (m: number) => received.push(m) }, []),
    );
    await waitFor(() => expect(connection.get()).toBe("offline"));
    await waitFor(() => expect(result.current).toBe("ended"), { timeout: 3000 });
    expect(opens).toBe(2);
    expect(received).toEqual([1, 2]);
    expect(connection.get()).toBe("online");
  });
});
