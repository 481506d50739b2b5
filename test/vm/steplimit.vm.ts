/**
 * Every worst-case operation of test/vm/probes.ts at the largest pool, run
 * after burning HEADROOM_ITERS iterations of an empty loop in the same slice
 * (9 VM ops each, measured). If an operation needed more than what is left of
 * the 128K-op slice, the VM would panic (InfiniteLoop) and the run fail.
 * Prints "fits <probe>" for each; test/steplimit.test.ts checks them all.
 */
import * as ds from "@devicescript/core"
import { PROBES, prepare } from "./probes"
import { HEADROOM_ITERS } from "./steplimit-config"

async function probe(name: string) {
    const op = await prepare(name, async () => {
        await ds.sleep(0)
    })
    console.log("probing " + name)
    await ds.sleep(0)
    let i = 0
    while (i < HEADROOM_ITERS) i++
    op()
    console.log("fits " + name)
}

for (let k = 0; k < PROBES.length; k++) await probe(PROBES[k])
console.log("steplimit done")
ds.restart()
