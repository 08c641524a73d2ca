import { maskedJson } from "./mask-secrets";

describe("maskedJson", () => {
  it("masks secrets at any depth and keeps everything else", () => {
    const out = JSON.parse(
      maskedJson(JSON.stringify({
        name: "k8s",
        token: "abc",
        has_token: true,
        options: { apiKey: "zzz", client_secret: "s", namespace: "jobs", nested: [{ password: "p" }] },
      })),
    );
    expect(out).toEqual({
      name: "k8s",
      token: "***",
      has_token: true,
      options: { apiKey: "***", client_secret: "***", namespace: "jobs", nested: [{ password: "***" }] },
    });
  });
  it("copes with empty and broken input", () => {
    expect(maskedJson("")).toBe("{}");
    expect(maskedJson("{oops")).toMatch(/not valid JSON/);
  });
});
