import { readFileSync } from "node:fs"
import { describe, expect, test } from "vitest"
import { runTestMode } from "../../sim/runner.mjs"

const names = [...readFileSync("test/vm/probes.ts", "utf8").match(/PROBES = \[([^\]]*)\]/)![1].matchAll(/"([^"]+)"/g)].map(m => m[1])
// the largest pool, then each other pool size a board uses, as test/vm/steplimit.vm.ts orders them
const sizes = [32768]
for (const m of readFileSync("demo/boards.ts", "utf8").matchAll(/pool: (\d+)/g)) if (!sizes.includes(Number(m[1]))) sizes.push(Number(m[1]))

describe("the VM's step limit", () => {
    test("every worst-case operation, at 32 KiB and at every board's pool size, fits in its share of a slice: half, 60 % for a failing allocation (no InfiniteLoop or StackOverflow panic)", async () => {
        const r = await runTestMode("test/vm/steplimit.vm.ts", { timeoutMs: 600000 })
        const fitted = r.lines.filter((l: string) => l.startsWith("fits ")).map((l: string) => l.slice(5))
        const last = r.lines.filter((l: string) => l.startsWith("probing ")).pop()
        if (r.code !== 0) throw new Error("VM run failed at '" + last + "':\n" + r.stdout.slice(-3000))
        expect(sizes.length).toBeGreaterThan(1)
        expect(fitted).toEqual(sizes.flatMap(size => names.map(name => name + " at " + size)))
        expect(r.lines).toContain("steplimit done")
    })
})
