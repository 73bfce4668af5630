// The latest-frame-wins lane of yolo-wasm/worker (pkg/worker_latest.js) under Node, with jobs
// whose completion the test controls: the order of sends, drops and answers, exactly.
import assert from "node:assert/strict";
import { test } from "node:test";

const { LatestLane } = await import(new URL("../../pkg/worker_latest.js", import.meta.url));

/** A lane whose sends wait until the test settles them; records sends and drops. */
function harness() {
  const sent = [];
  const dropped = [];
  const gates = new Map();
  const lane = new LatestLane(
    (job) => {
      sent.push(job);
      return new Promise((resolve, reject) => gates.set(job, { resolve, reject }));
    },
    (job, replaced) => dropped.push([job, replaced]),
  );
  const tick = () => new Promise((r) => setTimeout(r, 0));
  return { lane, sent, dropped, gates, tick };
}

test("one in flight, one waiting: a newer frame replaces the waiting one, which resolves to null", async () => {
  const { lane, sent, dropped, gates, tick } = harness();
  const p = [1, 2, 3, 4].map((j) => lane.push(j));
  assert.deepEqual(sent, [1], "the first job is sent at once");
  assert.deepEqual(lane.depth, { inFlight: 1, waiting: 1 });
  assert.deepEqual(dropped, [[2, true], [3, true]]);
  assert.equal(await p[1], null);
  assert.equal(await p[2], null);
  gates.get(1).resolve("r1");
  assert.equal(await p[0], "r1");
  await tick();
  assert.deepEqual(sent, [1, 4], "the newest waiting job goes next");
  gates.get(4).resolve("r4");
  assert.equal(await p[3], "r4", "the last job is always answered");
  await tick();
  assert.deepEqual(lane.depth, { inFlight: 0, waiting: 0 });
});

test("a failing job rejects its own promise only; the waiting job is still sent", async () => {
  const { lane, sent, gates, tick } = harness();
  const a = lane.push("a");
  const b = lane.push("b");
  gates.get("a").reject(new Error("boom"));
  await assert.rejects(a, /boom/);
  await tick();
  assert.deepEqual(sent, ["a", "b"]);
  gates.get("b").resolve("rb");
  assert.equal(await b, "rb");
});

test("a send that throws synchronously rejects that job and the lane goes on", async () => {
  let first = true;
  const lane = new LatestLane(
    (job) => {
      if (first) {
        first = false;
        throw new Error("sync");
      }
      return Promise.resolve(job);
    },
    () => {},
  );
  await assert.rejects(lane.push(1), /sync/);
  assert.equal(await lane.push(2), 2);
});

test("clear() rejects the waiting job (not counted as replaced); dropWaiting() resolves it to null", async () => {
  const { lane, dropped, gates } = harness();
  const a = lane.push("a");
  const b = lane.push("b");
  lane.clear(new Error("freed"));
  await assert.rejects(b, /freed/);
  assert.deepEqual(dropped, [["b", false]]);
  const c = lane.push("c");
  lane.dropWaiting();
  assert.equal(await c, null);
  assert.deepEqual(dropped, [["b", false], ["c", true]]);
  gates.get("a").resolve("ra");
  assert.equal(await a, "ra");
});
