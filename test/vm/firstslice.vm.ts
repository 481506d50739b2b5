/**
 * The slice meter's first reset (run by test/core/meter.test.ts): the program's
 * very first act is a loop of pool calls, and it suspends every 50 calls.
 * 50 allocations are charged 70,000 operations, so two such runs together
 * pass the meter's share (96,000): each suspension must start the count
 * again, the very first one included, or the program sees StepLimitError.
 * The count is read right after each suspension, before any charge (a
 * charge may also correct a late reset through the clock, when it moved).
 */
import * as ds from "@devicescript/core"
import { Pool, StepLimitError } from "../../src/index"
import { meter } from "../../src/poolgc/meter"

const pool = new Pool({ handles: 1024 })
pool.disable() // no collection: each call is one allocation into free space
let refused = 0
let made = 0
let stale = 0
for (let round = 0; round < 12; round++) {
    for (let i = 0; i < 50; i++) {
        try {
            pool.number(i)
            made++
        } catch (e) {
            if (!(e instanceof StepLimitError)) throw e
            refused++
        }
    }
    const before = meter.used
    await ds.sleep(0)
    if (meter.used !== 0) {
        stale++
        console.log("round " + round + ": " + before + " charged, " + meter.used + " still counted after the suspension")
    }
}
console.log("first slice: " + made + " made, " + refused + " refused, " + stale + " suspensions without a reset")
ds.restart()
