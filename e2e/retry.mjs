// The storefront's fetch with retries (window.oceanFetch in app.js), run
// in Node against a scripted fetch and clock: it tries again on network
// errors and 503 (after Retry-After), never on 4xx, and gives up after its
// tries. Usage: node retry.mjs path/to/app.js
import { readFileSync } from "node:fs";
import vm from "node:vm";
import assert from "node:assert/strict";

const src = readFileSync(process.argv[2], "utf8");

// load runs app.js in a page with nothing on it and returns its
// oceanFetch, with fetch answering from script (a status, or "down" for a
// network error) and setTimeout recording each wait and firing at once.
function load(script) {
  const calls = [], waits = [];
  const ctx = {
    document: { querySelectorAll: () => [], getElementById: () => null, documentElement: { classList: { add() {} } } },
    fetch: () => {
      const next = script[calls.length] ?? script[script.length - 1];
      calls.push(next);
      if (next === "down") return Promise.reject(new TypeError("Failed to fetch"));
      const [status, retryAfter] = Array.isArray(next) ? next : [next, null];
      return Promise.resolve({ status, headers: { get: (h) => (h === "Retry-After" ? retryAfter : null) } });
    },
    setTimeout: (fn, ms) => { waits.push(ms); fn(); },
    Promise, Math, Number, Date, isFinite, NaN, TypeError,
  };
  ctx.window = ctx;
  vm.createContext(ctx);
  vm.runInContext(src, ctx);
  assert.equal(typeof ctx.oceanFetch, "function", "app.js defines window.oceanFetch");
  return { f: ctx.oceanFetch, calls, waits };
}

let t = load(["down", "down", 200]);
assert.equal((await t.f("/x")).status, 200, "network errors are tried again");
assert.equal(t.calls.length, 3);
assert.ok(t.waits[0] >= 250 && t.waits[0] <= 500 && t.waits[1] >= 500 && t.waits[1] <= 1000, "backoff doubles: " + t.waits);

t = load([[503, "2"], 200]);
assert.equal((await t.f("/x")).status, 200, "503 is tried again");
assert.deepEqual(t.waits, [2000], "after its Retry-After");

t = load([[503, "600"], 200]);
await t.f("/x");
assert.deepEqual(t.waits, [30000], "a long Retry-After is capped at 30 s");

for (const status of [400, 403, 404, 409, 422, 429, 500]) {
  t = load([status, 200]);
  assert.equal((await t.f("/x")).status, status, status + " is returned as it is");
  assert.equal(t.calls.length, 1, status + " is not tried again");
}

t = load([503]);
assert.equal((await t.f("/x")).status, 503, "the last 503 is returned");
assert.equal(t.calls.length, 4, "one try and three more");

t = load(["down"]);
await assert.rejects(t.f("/x", {}, 1), TypeError, "the network error once the tries are spent");
assert.equal(t.calls.length, 2);

console.log("oceanFetch: retries on network errors and 503 with Retry-After, never on 4xx");
