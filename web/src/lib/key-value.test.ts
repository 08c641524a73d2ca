import { nonEmptyLines, parseKeyValueLines } from "./key-value";

describe("key-value lines", () => {
  it("splits lines and drops blank ones", () => {
    expect(nonEmptyLines("a\r\n\n  \nb c\n")).toEqual(["a", "b c"]);
  });
  it("parses KEY=value, keeping '=' in values", () => {
    expect(parseKeyValueLines("A=1\nB=x=y\nFLAG\n Y =2")).toEqual({ A: "1", B: "x=y", FLAG: "", Y: "2" });
  });
});
