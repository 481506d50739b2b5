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
 * VM heap bytes held beside the pool. Measured at main cf00e64: the run
 * passes with 2,048 and 4,096 and panics (out of memory) with 6,144; before
 * that merge it passed with 1, 1,024, 2,048, 3,072 and 6,144 and panicked
 * with 4,096. What fails is whyAlive()'s 4 KB Buffer of parent links, which
 * needs a piece that large: whether one is left depends on where the VM
 * heap's free pieces fall, not only on how much is free.
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
    // a suspension every 32 records keeps the fill loop inside the meter's share (a StepLimitError
    // between the allocation and the store would leave a record out of the chain)
    if (n % 32 === 0) await ds.sleep(0)
    try {
        const h = pool.record(Node)
        pool.setField(h, "next", prev)
        if (first === 0) first = h
        prev = h
        n++
    } catch (e) {
        if (e instanceof MemoryError) break
        throw e
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
