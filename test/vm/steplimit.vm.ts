/**
 * Every worst-case operation of test/vm/probes.ts, at the largest pool and at
 * each board's pool size (demo/boards.ts), run
 * after burning the part of the slice it may not use (SHARE): an empty loop
 * of 14,560 iterations fills the 131,072-op slice (9 ops each, measured), so
 * burning (100 - share)% of them leaves the operation share% of the slice.
 * If it needed more, the VM would panic (InfiniteLoop) and the run fail.
 * Prints "fits <probe> at <size>" for each; test/device/steplimit.test.ts checks them all.
 */
import * as ds from "@devicescript/core"
import { BOARDS } from "../../demo/boards"
import { PROBES, SHARE, prepare } from "./probes"

/** A suspension: the VM's step count, and the slice meter's, start again. */
async function fresh() {
    await ds.sleep(0)
}

const SLICE_ITERS = 14560

async function probe(name: string, share: number, size: number) {
    await ds.sleep(0)
    const op = await prepare(
        name,
        fresh,
        size
    )
    console.log("probing " + name + " at " + size + " in " + share + "% of a slice")
    const burn = Math.idiv(SLICE_ITERS * (100 - share), 100)
    await fresh()
    let i = 0
    while (i < burn) i++
    const pending = op()
    if (pending) await pending
    console.log("fits " + name + " at " + size)
}

// the largest supported pool, then every other pool size a board uses
const sizes: number[] = [32768]
for (const b of BOARDS) if (sizes.indexOf(b.pool) < 0) sizes.push(b.pool)
for (const size of sizes) {
    console.log("size " + size)
    for (let k = 0; k < PROBES.length; k++) await probe(PROBES[k], SHARE[k], size)
}
console.log("steplimit done")
ds.restart()
