import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { RetryingRecords } from "../src/index.ts";
import { MINUTE, SECOND } from "../../../tests/support/clock.ts";
import { fakeClock } from "../../../tests/support/fakes.ts";

/** A logger whose lines the test reads. */
function capturingLog() {
  const lines: Record<string, unknown>[] = [];
  const log = pino(
    { level: "info" },
    { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  return { log, lines };
}

describe("RetryingRecords", () => {
  it("says how long the oldest failing record has waited, and forgets a record once it is settled", () => {
    const clock = fakeClock();
    const retrying = new RetryingRecords(capturingLog().log, clock.now);
    expect(retrying.oldestAgeSeconds()).toBe(0);
    retrying.failed("task-events/0@7", "relation reminders does not exist");
    clock.advance(30 * SECOND);
    retrying.failed("task-events/1@3", "relation reminders does not exist");
    clock.advance(15 * SECOND);
    retrying.failed("task-events/0@7", "relation reminders does not exist");
    expect(retrying.oldestAgeSeconds()).toBe(45);
    retrying.settled("task-events/0@7");
    expect(retrying.oldestAgeSeconds()).toBe(15);
  });

  it("logs a failing record when it first fails, then once a minute, naming its origin, the reason and the hint", () => {
    const clock = fakeClock();
    const { log, lines } = capturingLog();
    const retrying = new RetryingRecords(log, clock.now);
    for (let second = 0; second <= 130; second += 5) {
      retrying.failed("task-events/2@41", "TableDoesNotExist", "migrations not applied");
      clock.advance(5 * SECOND);
    }
    expect(lines.map((line) => line["failing_for_s"])).toEqual([0, 60, 120]);
    expect(lines[0]).toMatchObject({
      origin: "task-events/2@41",
      reason: "TableDoesNotExist",
      hint: "migrations not applied",
    });
  });

  it("forgets a record no longer redelivered to it (its partition moved to another consumer)", () => {
    const clock = fakeClock();
    const retrying = new RetryingRecords(capturingLog().log, clock.now);
    retrying.failed("task-events/0@7", "x");
    clock.advance(11 * MINUTE);
    expect(retrying.oldestAgeSeconds()).toBe(0);
  });
});
