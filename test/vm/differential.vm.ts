/**
 * The VM half of the differential test: runs the seeded sequences and prints
 * their lines, prefixed "diff <seed> ", then "differential done".
 */
import * as ds from "@devicescript/core"
import { runSequence } from "./sequence"
import { SEEDS, STEPS } from "./differential-config"

async function run(seed: number) {
    // each suspension starts the slice meter again (test/vm/firstslice.vm.ts): a step the
    // meter cut short on the VM would make the pools differ
    await runSequence(seed, STEPS, line => console.log("diff " + seed + " " + line), async () => {
        await ds.sleep(0)
    })
}

for (let i = 0; i < SEEDS.length; i++) await run(SEEDS[i])
console.log("differential done")
ds.restart()
