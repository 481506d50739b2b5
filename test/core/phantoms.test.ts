/**
 * The phantom view (issue 6): a marking pass that frees nothing and shows the
 * objects already unreachable, on the guide's story.
 */
import { describe, expect, test } from "vitest"
import { Pool } from "../../src/index"
import { checkPool } from "../support/check"

async function view(pool: Pool) {
    const lines: string[] = []
    const report = await pool.phantoms(true, l => lines.push(l))
    const texts = lines.map(l => l.replace(/^@\d+:\d+ /, ""))
    const map = texts.filter(t => /^[0-9a-f]{5}: /.test(t)).map(t => t.slice(7)).join("")
    return { report, texts, map }
}

describe("the phantom view", () => {
    test("the guide's Blinka bitmap: a phantom after del, shown in lower case; collect() frees exactly what the view said", async () => {
        const pool = new Pool({ size: 8192 })
        const TileGrid = pool.defineRecord("TileGrid", ["bitmap"])
        const Group = pool.defineRecord("Group", ["tilegrid"])
        const blinka = pool.bitmap(32, 32, 8)
        const grid = pool.record(TileGrid)
        pool.setField(grid, "bitmap", blinka)
        const group = pool.record(Group)
        pool.setField(group, "tilegrid", grid)
        pool.setRoot("display", group)
        const score = pool.number(50)
        pool.setRoot("score", score)

        let v = await view(pool)
        expect(v.report).toEqual({ objects: 0, bytes: 0 })
        expect(v.texts).toContain(" phantoms: 0 objects, 0 bytes a collection would free")

        // the display is cleared: Group, TileGrid and the bitmap are phantoms
        pool.delRoot("display")
        const bytes = (pool.blocksOf(blinka) + pool.blocksOf(grid) + pool.blocksOf(group)) * 16
        const before = Buffer.from(pool.buf)
        v = await view(pool)
        expect(v.report).toEqual({ objects: 3, bytes })
        expect(v.texts).toContain(" phantoms: 3 objects, " + bytes + " bytes a collection would free")
        const at = (h: number) => pool.offsetOf(h) / 16
        expect(v.map[at(blinka)]).toBe("p")
        expect(v.map[at(grid)]).toBe("r")
        expect(v.map[at(group)]).toBe("r")
        expect(v.map[at(score)]).toBe("F") // reachable: upper case
        // nothing was freed or moved: the allocation table and every object are as they were
        expect(pool.buf.subarray(128)).toEqual(before.subarray(128))
        expect(pool.isLive(blinka)).toBe(true)
        expect(pool.stats().phase).toBe("idle")

        const free = pool.stats().free
        pool.collect()
        expect(pool.stats().free - free).toBe(bytes)
        expect(pool.isLive(blinka)).toBe(false)
        v = await view(pool)
        expect(v.report.objects).toBe(0)
        pool.verify()
        checkPool(pool)
    })

    test("a collection in progress is finished first; other collections wait for the view", async () => {
        const pool = new Pool({ size: 16384, budget: 30, handles: 512 })
        const keep = pool.list(4)
        pool.setRoot("keep", keep)
        for (let i = 0; i < 200; i++) {
            const n = pool.number(i)
            if (i % 2 === 0) pool.push(keep, n)
        }
        pool.collectStep(5) // a collection is under way: it will free the 100 garbage numbers
        const viewing = pool.phantoms(false, () => {})
        expect(pool.collect()).toBe(false) // waits for the view
        const late = pool.number(7) // allocated before the view's own marking starts, and never rooted
        const r = await viewing
        // the garbage was freed by the finished collection; `late` is the one phantom
        expect(r).toEqual({ objects: 1, bytes: 16 })
        expect(pool.isLive(late)).toBe(true)
        expect(pool.stats().live).toBe(1 + 100 + 1)
        expect(pool.verifier().run(1e9)).toBe(true)
        checkPool(pool)
    })
})
