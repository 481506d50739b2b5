import { describe, expect, test } from "vitest"
import { runTestMode } from "../../sim/runner.mjs"

/** Runs an on-VM test file and returns its output; fails on a VM panic or a failed test. */
async function vmSuite(entry: string, timeoutMs = 120000) {
    const r = await runTestMode(entry, { timeoutMs })
    const summary = r.lines.find((l: string) => /^tests: \d+, pass: \d+, error: \d+$/.test(l))
    if (r.code !== 0 || !summary) throw new Error(entry + " failed on the VM:\n" + r.stdout.slice(-6000) + r.stderr.slice(-2000))
    return { ...r, summary }
}

describe("on the DeviceScript VM", () => {
    test("test/vm/pool.vm.ts passes", async () => {
        const r = await vmSuite("test/vm/pool.vm.ts")
        const m = r.summary.match(/tests: (\d+), pass: (\d+), error: (\d+)/)!
        expect(Number(m[3])).toBe(0)
        expect(Number(m[2])).toBe(Number(m[1]))
        expect(Number(m[1])).toBeGreaterThanOrEqual(9)
    })
})
