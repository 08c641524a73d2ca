import { visibleRange } from "./visible-range";

describe("visibleRange", () => {
  it("renders only the rows in view plus overscan", () => {
    expect(visibleRange(100_000, 0, 500, 20, 10)).toEqual({ start: 0, end: 35 });
    expect(visibleRange(100_000, 20_000, 500, 20, 10)).toEqual({ start: 990, end: 1035 });
  });
  it("clamps at the end and for short lists", () => {
    expect(visibleRange(100, 1_900, 500, 20, 10)).toEqual({ start: 85, end: 100 });
    expect(visibleRange(3, 0, 500, 20, 10)).toEqual({ start: 0, end: 3 });
    expect(visibleRange(0, 0, 500, 20, 10)).toEqual({ start: 0, end: 0 });
  });
});
