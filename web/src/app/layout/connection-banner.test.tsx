import { act, render, screen } from "@testing-library/react";
import { connection } from "@/lib/connection";
import { ConnectionBanner } from "./connection-banner";

describe("ConnectionBanner", () => {
  it("appears while the server is unreachable and leaves on recovery", () => {
    render(<ConnectionBanner />);
    expect(screen.queryByTestId("offline-banner")).toBeNull();
    act(() => connection.reportUnreachable());
    expect(screen.getByTestId("offline-banner")).toHaveTextContent("Cannot reach the Hodei server");
    act(() => connection.reportSuccess());
    expect(screen.queryByTestId("offline-banner")).toBeNull();
  });
});
