import { describe, expect, test } from "vitest"
import "../host/platform"
import { FIT } from "../src/poolgc/allocator"

/** The free runs of ATB byte v, block by block: [start, length][]. */
function runsOf(v: number): number[][] {
    const out: number[][] = []
    let start = -1
    for (let k = 0; k <= 4; k++) {
        const free = k < 4 && ((v >> (2 * k)) & 3) === 0
        if (free && start < 0) start = k
        if (!free && start >= 0) {
            out.push([start, k - start])
            start = -1
        }
    }
    return out
}

describe("the FIT table", () => {
    test("lead, trail and inner runs describe every free run of every ATB byte", () => {
        for (let v = 1; v < 256; v++) {
            const t = FIT[v]
            const lead = t & 7
            const trail = (t >> 3) & 7
            const inner = t >> 6
            const runs = runsOf(v)
            const expected: number[][] = []
            if (lead) expected.push([0, lead])
            if (inner) expected.push([((v >> 2) & 3) === 0 ? 1 : 2, inner])
            if (trail) expected.push([4 - trail, trail])
            expect(runs, "byte " + v).toEqual(expected)
        }
        expect(FIT[0] & 7).toBe(4)
    })
})
