import { render, screen } from "@testing-library/react";
import { ProviderStatus } from "@/gen/hodei/provider_pb";
import { Breakable } from "@/components/ui/breakable";
import { HealthScore } from "./health-score";

describe("HealthScore", () => {
  it("shows no score, not a green 100, for an offline provider", () => {
    const { container } = render(<HealthScore score={100} status={ProviderStatus.OFFLINE} />);
    expect(screen.getByLabelText("Health score: none (offline)")).toHaveTextContent("—");
    expect(container.querySelector(".health-score__fill")).toBeNull();
  });
  it("is red for an unhealthy provider whatever its last score", () => {
    const { container } = render(<HealthScore score={100} status={ProviderStatus.UNHEALTHY} />);
    expect(screen.getByLabelText("Health score 100 (unhealthy)")).toBeInTheDocument();
    expect((container.querySelector(".health-score__fill") as HTMLElement).style.background).toBe("var(--err)");
  });
  it("is green for a healthy active provider", () => {
    const { container } = render(<HealthScore score={95} status={ProviderStatus.ACTIVE} />);
    expect((container.querySelector(".health-score__fill") as HTMLElement).style.background).toBe("var(--ok)");
  });
});

describe("Breakable", () => {
  it("lets a long endpoint wrap only after its separators", () => {
    const { container } = render(<Breakable text="unix:///var/run/docker.sock" />);
    expect(container.textContent).toBe("unix:///var/run/docker.sock");
    const html = container.innerHTML;
    expect(html).toContain("docker.<wbr>sock");
    expect(html).not.toMatch(/dock<wbr>er/);
  });
});
