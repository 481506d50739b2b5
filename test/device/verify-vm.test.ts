/**
 * verifyAsync() on the real VM beside two fibers that change the pool in
 * every slice (test/vm/verify-async.vm.ts, a 32 KiB pool of 1,200 kept
 * records): it finishes every time, reports a damage that stays in place,
 * and nothing panics (a step-limit panic ends the program before
 * "vasync done" and fails the run).
 */
import { describe, expect, test } from "vitest"
import { runTestMode } from "../../sim/runner.mjs"

describe("verifyAsync() on the VM beside mutating fibers", () => {
    test("test/vm/verify-async.vm.ts: finishes three times, reports the damage, no panic", async () => {
        const r = await runTestMode("test/vm/verify-async.vm.ts", { timeoutMs: 120000 })
        const out = r.stdout.slice(-4000) + r.stderr.slice(-2000)
        if (r.code !== 0 || !r.lines.includes("vasync done")) throw new Error("verify-async.vm.ts failed on the VM:\n" + out)
        console.log(r.lines.filter((l: string) => /^(slices|verifyAsync|damage)/.test(l)).join("\n"))
        expect(r.lines.filter((l: string) => l.startsWith("failure:"))).toEqual([])
        // each check overlapped the mutators' slices: the pool changed under it
        const done = r.lines.filter((l: string) => /^verifyAsync \d done: \d+ mutator slices meanwhile$/.test(l))
        expect(done.length).toBe(3)
        for (const l of done) expect(Number(l.match(/: (\d+) mutator/)![1])).toBeGreaterThan(5)
        const busy = r.lines.find((l: string) => l.startsWith("slices busy: "))!
        const m = busy.match(/(\d+) runs, (\d+) changes, (\d+) censuses \(largest (\d+) units\)/)!
        expect(Number(m[2])).toBeGreaterThan(5)
        expect(Number(m[3])).toBeGreaterThanOrEqual(1)
        expect(r.lines).toContain("damage: CorruptionError pool corrupt: object at block " + r.lines.find((l: string) => l.startsWith("damage: CorruptionError"))!.match(/block (\d+)/)![1] + ": record kind id: expected 1..1, found 9")
    }, 180000)
})
