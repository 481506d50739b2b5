/**
 * A heap dump and whyAlive() at the largest shape (issue 17), on the VM in
 * normal mode (test/device/heapgraph.test.ts runs it): a 32 KiB pool, every
 * block an object (1-block records, each referencing the one before: the
 * longest reference chain), with 2,048 handle slots, beside a BALLAST-byte
 * Buffer taken from the VM heap after the pool. The dump and the search
 * must finish without a step-limit panic (the VM's InfiniteLoop) or an
 * out-of-memory one.
 */
import * as ds from "@devicescript/core"
import { heapDump, MemoryError, Pool, whyAlive } from "../../src/index"
import type { Handle } from "../../src/index"

/**
 * VM heap bytes held beside the pool. Measured: the run passes with 1, 1,024,
 * 2,048, 3,072 and 6,144 bytes; with 4,096 whyAlive()'s 4 KB of parent links
 * find no piece that large (the VM heap's free space is in pieces there).
 */
const BALLAST = 2048

const pool = new Pool({ size: 32768, handles: 2048 })
const ballast = Buffer.alloc(BALLAST)
const Node = pool.defineRecord("Node", ["next"])
pool.disable()
let prev: Handle = 0
let first: Handle = 0
let n = 0
for (;;) {
    try {
        const h = pool.record(Node)
        pool.setField(h, "next", prev)
        if (first === 0) first = h
        prev = h
        n++
    } catch (e) {
        if (e instanceof MemoryError) break
        await ds.sleep(0) // StepLimitError: the meter's share is spent; the count starts again
    }
}
await ds.sleep(0)
pool.setRoot("head", prev)
console.log("heapgraph: " + n + " objects, " + pool.stats().free + " bytes free, ballast " + ballast.length)
await ds.sleep(1)
let t = ds.millis()
const r = await heapDump(pool)
console.log("heapgraph: dump " + r.number + ": " + r.objects + " objects, " + r.lines + " lines, " + r.chars + " characters, changes " + r.changes + ", " + (ds.millis() - t) + " ms")
t = ds.millis()
const why = await whyAlive(pool, first)
console.log("heapgraph: whyAlive: length " + why.length + ", phantom " + why.phantom + ", " + (ds.millis() - t) + " ms")
console.log("heapgraph: " + why.text)
console.log("heapgraph done")
