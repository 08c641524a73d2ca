import { ENV_NAME, FormError, nonEmptyLines, parseKeyValueLines } from "./key-value";

describe("key-value lines", () => {
  it("splits lines and drops blank ones", () => {
    expect(nonEmptyLines("a\r\n\n  \nb c\n")).toEqual(["a", "b c"]);
  });
  it("parses KEY=value, keeping '=' in values", () => {
    expect(parseKeyValueLines("A=1\nB=x=y\n\n Y =2\nE=", "env", "Environment")).toEqual({ A: "1", B: "x=y", Y: "2", E: "" });
  });
  it("refuses a line without '=', naming the field and the line", () => {
    expect(() => parseKeyValueLines("A=1\nFLAG", "env", "Environment")).toThrow('Environment, line 2: expected NAME=value, not "FLAG"');
    try {
      parseKeyValueLines("FLAG", "env", "Environment");
    } catch (e) {
      expect(e).toBeInstanceOf(FormError);
      expect((e as FormError).field).toBe("env");
    }
  });
  it("refuses an empty name and, with a rule, a bad one", () => {
    expect(() => parseKeyValueLines("=x", "env", "Environment")).toThrow(/line 1: the name before "=" is empty/);
    expect(() => parseKeyValueLines("1X=y", "env", "Environment", ENV_NAME)).toThrow(/"1X" is not a variable name/);
    expect(() => parseKeyValueLines("A B=y", "env", "Environment", ENV_NAME)).toThrow(/not a variable name/);
  });
});
