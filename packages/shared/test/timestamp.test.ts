import { describe, expect, it } from "vitest";
import { Timestamp } from "../src/index.ts";

/** Format cases: valid or not on any day, whatever the clock says. */
/* eslint-disable no-restricted-syntax */
describe("Timestamp", () => {
  it.each(["2026-11-25T10:00:00Z", "2026-11-25T10:00:00.123+02:00", "1000-01-01T00:00:00Z", "9999-12-31T23:59:59Z"])(
    "accepts %s",
    (value) => {
      expect(Timestamp.safeParse(value).success).toBe(true);
    },
  );

  it.each([
    ["no offset", "2026-11-25T10:00:00"],
    ["year 999", "0999-12-31T23:59:59Z"],
    ["year 1000 in its zone, 999 in UTC", "1000-01-01T00:00:00+14:00"],
    ["year 9999 in its zone, 10000 in UTC", "9999-12-31T23:59:59-01:00"],
  ])("refuses %s", (_name, value) => {
    expect(Timestamp.safeParse(value).success).toBe(false);
  });
});
