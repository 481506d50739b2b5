/**
 * VM side of the seam check (test/device/seam.test.ts runs it with runTestMode).
 * Runs the cases of seam-cases.ts group by group: all of them in one go exceed
 * the VM's 128k-ops-per-slice limit (InfiniteLoop panic), so it sleeps between
 * groups. Node runs the same groups via runSeamCases; the output must be identical.
 * Ends with ds.restart(), which is how a --test-self-exit run reports success.
 */
import * as ds from "@devicescript/core"
import { drainSlice, nextSlice, now } from "../../src/platform"
import { runSliceCases, seamGroups } from "./seam-cases"

for (const group of seamGroups) {
    group(line => console.log(line))
    await ds.sleep(0)
}
await runSliceCases(line => console.log(line), { now: now, nextSlice: nextSlice, drainSlice: drainSlice })
console.log("seam done")
ds.restart()
