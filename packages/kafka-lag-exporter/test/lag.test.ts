import { describe, expect, it } from "vitest";
import { lagOf } from "../src/lag.ts";

describe("lagOf", () => {
  const offsets = [
    { earliest: 0n, end: 10n },
    { earliest: 0n, end: 0n },
    { earliest: 50n, end: 70n },
  ];

  it("is the records between the committed offset and the end of each partition", () => {
    const lags = lagOf(
      "g",
      "t",
      offsets,
      new Map([
        [0, 4n],
        [1, 0n],
        [2, 70n],
      ]),
    );
    expect(lags.map((l) => l.lag)).toEqual([6n, 0n, 0n]);
  });

  it("counts from the earliest record kept when the group never committed, or committed before it", () => {
    const lags = lagOf("g", "t", offsets, new Map([[2, 10n]]));
    expect(lags.map((l) => [l.committed, l.lag])).toEqual([
      [undefined, 10n],
      [undefined, 0n],
      [10n, 20n],
    ]);
  });
});
