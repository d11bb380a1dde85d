import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { formatDuration, parseDuration } from "../../src/config/index.js";

describe("parseDuration (Flink TimeUtils rules)", () => {
  test("the spellings used in StateFun docs and examples", () => {
    assert.equal(parseDuration("1 min"), 60_000);
    assert.equal(parseDuration("2m"), 120_000);
    assert.equal(parseDuration("15min"), 900_000);
    assert.equal(parseDuration("10sec"), 10_000);
    assert.equal(parseDuration("1day"), 86_400_000);
  });

  test("a bare number is milliseconds, as text or as a YAML number", () => {
    assert.equal(parseDuration("100"), 100);
    assert.equal(parseDuration(100), 100);
    assert.equal(parseDuration("0"), 0);
  });

  test("every unit label, singular and plural where Flink allows it", () => {
    const cases: Array<[string, number]> = [
      ["1d", 86_400_000], ["1 day", 86_400_000], ["2 days", 172_800_000],
      ["1h", 3_600_000], ["1 hour", 3_600_000], ["3 hours", 10_800_000],
      ["1min", 60_000], ["1m", 60_000], ["1 minute", 60_000], ["5 minutes", 300_000],
      ["1s", 1000], ["1 sec", 1000], ["2 secs", 2000], ["1 second", 1000], ["30 seconds", 30_000],
      ["7ms", 7], ["7 milli", 7], ["7 millis", 7], ["7 millisecond", 7], ["7 milliseconds", 7],
      ["3000µs", 3], ["3000 micro", 3], ["3000 micros", 3], ["3000 microseconds", 3],
      ["5000000ns", 5], ["5000000 nano", 5], ["5000000 nanos", 5], ["5000000 nanoseconds", 5],
    ];
    for (const [text, millis] of cases) assert.equal(parseDuration(text), millis, text);
  });

  test("units are case-insensitive and surrounding spaces are ignored", () => {
    assert.equal(parseDuration("  10 SEC "), 10_000);
    assert.equal(parseDuration("1   Min"), 60_000);
  });

  test("sub-millisecond values round down", () => {
    assert.equal(parseDuration("1999 µs"), 1);
    assert.equal(parseDuration("999999 ns"), 0);
  });

  test("negatives, fractions, garbage and unknown units are rejected", () => {
    for (const bad of ["-1", "-5 s", "1.5 s", "1,5s", "", "   ", "min", "10 parsecs", "1 mins", "1 hs", "ten seconds"]) {
      assert.throws(() => parseDuration(bad), RangeError, JSON.stringify(bad));
    }
    assert.throws(() => parseDuration(-1), RangeError);
    assert.throws(() => parseDuration(1.5), RangeError);
  });

  test("the optional label goes in front of the message", () => {
    assert.throws(() => parseDuration("5 weeks", "spec.transport.call"), {
      name: "RangeError",
      message: 'spec.transport.call: "5 weeks" has an unknown time unit "weeks" (use d, h, min/m, s/sec, ms, µs, ns, or their long forms such as minutes)',
    });
  });
});

describe("formatDuration", () => {
  test("uses the largest unit that divides the value", () => {
    assert.equal(formatDuration(120_000), "2 min");
    assert.equal(formatDuration(10_000), "10 s");
    assert.equal(formatDuration(1500), "1500 ms");
    assert.equal(formatDuration(0), "0 ms");
  });
});
