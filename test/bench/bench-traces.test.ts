// The benchmark's trace generator is deterministic: the same spec gives the
// same records (every system, in Node and on the VM, replays the same trace).
// A check of the generator only; the benchmark itself is `npm run bench`.
import { describe, expect, it } from "vitest"
import { benchTraces, OP_ALLOC, OP_FREE, TraceGen } from "../../bench/traces"

function digest(spec: ReturnType<typeof benchTraces>[number]) {
    const g = new TraceGen(spec)
    let h = 0x811c9dc5
    let allocs = 0
    let frees = 0
    while (g.next()) {
        for (const v of [g.op, g.a, g.b, g.c]) h = Math.imul(h ^ v, 16777619) >>> 0
        if (g.op === OP_ALLOC) allocs++
        if (g.op === OP_FREE) frees++
    }
    return { h, allocs, frees, count: g.count, maxIds: g.maxIds }
}

describe("bench traces", () => {
    for (const spec of benchTraces(true)) {
        it(`${spec.name} is deterministic and every id is allocated before it is freed`, () => {
            const a = digest(spec)
            expect(digest(spec)).toEqual(a)
            expect(a.count).toBeGreaterThanOrEqual(spec.ops)
            expect(a.frees).toBeLessThanOrEqual(a.allocs)
        })
    }
})
