import { describe, expect, test } from "vitest"
import { runSim } from "../../sim/runner.mjs"

function fnv(texts: string[]): string {
    let h = 0x811c9dc5
    for (const t of texts) for (const c of Buffer.from(t + "\n", "latin1")) h = Math.imul(h ^ c, 16777619)
    return (h >>> 0).toString(16).padStart(8, "0")
}

describe("the heap dump and whyAlive() on the VM", () => {
    test("a full 32 KiB pool, every block an object (a chain of 1-block records, 2,048 handles), beside a 2 KB ballast: the dump arrives whole and clean, whyAlive() finds the whole chain; no step-limit or out-of-memory panic", async () => {
        const r = await runSim("test/vm/heapgraph.vm.ts", { until: /^heapgraph done$/, timeoutMs: 240000 })
        const n = Number(/^heapgraph: (\d+) objects, 0 bytes free/.exec(r.lines.find((l: string) => l.startsWith("heapgraph: ")) || "")?.[1])
        expect(n).toBeGreaterThan(1700)
        const lines = r.lines.filter((l: string) => /^@\d+:\d+ /.test(l))
        const texts = lines.slice(0, -1).map((l: string) => l.replace(/^@\d+:\d+ /, ""))
        lines.forEach((l: string, i: number) => {
            expect(l.startsWith("@1:" + i + " ")).toBe(true)
            expect(l.length).toBeLessThan(150)
        })
        expect(lines[lines.length - 1]).toBe("@1:" + texts.length + " end lines=" + texts.length + " crc=" + fnv(texts))
        expect(texts[0]).toBe("HEAP: objects: " + n + ", roots: 1, kinds: 1, total: 32768")
        expect(texts.filter((t: string) => t.startsWith(" o ")).length).toBe(n)
        expect(texts.some((t: string) => t.startsWith(" torn"))).toBe(false)
        const dump = r.lines.find((l: string) => l.startsWith("heapgraph: dump "))
        expect(dump).toMatch(new RegExp("^heapgraph: dump 1: " + n + " objects, " + (texts.length + 1) + " lines, \\d+ characters, changes 0, \\d+ ms$"))
        expect(r.lines).toContain("heapgraph: whyAlive: length " + n + ", phantom false, " + /whyAlive: length \d+, phantom false, (\d+) ms/.exec(r.lines.join("\n"))![1] + " ms")
        console.log(dump + "\n" + r.lines.find((l: string) => l.startsWith("heapgraph: whyAlive")))
    }, 300000)

    test("the graph demo (demo/graph.ts): the bitmap's path from display, then phantom after the del, and the leak: the last dump holds three more bitmaps than the one before, each kept by the recent list", async () => {
        const r = await runSim("demo/graph.ts", { until: /^poolgc demo done$/, timeoutMs: 120000 })
        expect(r.lines.some((l: string) => /^bitmap \d+: display -> Group.items -> list\[0\] -> TileGrid.bitmap -> bitmap$/.test(l))).toBe(true)
        expect(r.lines.some((l: string) => /^bitmap \d+ is a phantom: no root or temporary reaches it$/.test(l))).toBe(true)
        const bitmaps = (d: number) => r.lines.filter((l: string) => new RegExp("^@" + d + ":\\d+  o \\d+ P ").test(l)).length
        expect(bitmaps(4) - bitmaps(3)).toBe(3)
        expect(r.lines.some((l: string) => /^bitmap \d+: recent -> list\[5\] -> bitmap$/.test(l))).toBe(true)
    }, 200000)
})
