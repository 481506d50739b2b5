/**
 * whyAlive() (issue 17) against a breadth-first search written here over the
 * pool's public API (getRoot, get/length, getField/kindOf, isLive): on random
 * graphs, the path it returns is a real chain of references from a root, and
 * a shortest one; it says "phantom" exactly when the search reaches nothing.
 */
import { describe, expect, test } from "vitest"
import { ArgumentError, HandleError, Pool, WHY_SHOWN, whyAlive } from "../../src/index"
import type { Handle } from "../../src/index"
import { rng } from "../support/rng"
import { guideStory } from "../support/story"
import { meter, SHARE } from "../../src/poolgc/meter"

/** The references of `h` in index / field order, as the public API shows them (0 and dead ones left out). */
function refsOf(pool: Pool, h: Handle): Handle[] {
    const out: Handle[] = []
    const t = pool.typeOf(h)
    if (t === "list") {
        const l = pool.cast(h, "list")
        for (let i = 0; i < pool.length(l); i++) out.push(pool.get(l, i))
    } else if (t === "record") {
        const r = pool.cast(h, "record")
        for (const f of pool.kindOf(r).fields) out.push(pool.getField(r, f))
    }
    return out.filter(r => r !== 0 && pool.isLive(r))
}

/** Distance (objects on a shortest path, the root's object counted) from any root to each object reached. */
function distances(pool: Pool, roots: Handle[]): Map<Handle, number> {
    const dist = new Map<Handle, number>()
    const queue: Handle[] = []
    for (const r of roots)
        if (pool.isLive(r) && !dist.has(r)) {
            dist.set(r, 1)
            queue.push(r)
        }
    for (let q = 0; q < queue.length; q++) {
        const h = queue[q]
        for (const c of refsOf(pool, h))
            if (!dist.has(c)) {
                dist.set(c, dist.get(h)! + 1)
                queue.push(c)
            }
    }
    return dist
}

/** A random graph: objects of every type, random references (some to freed objects), named roots and temporaries. */
function randomPool(seed: number, wide = false) {
    const r = rng(seed)
    const pick = <T>(a: T[]) => a[Math.floor(r() * a.length)]
    const pool = new Pool({ size: wide ? 32768 : 16384, handles: wide ? 2048 : 1000, namedRoots: 8, rootStack: 16 })
    // nothing is collected while the graph is built (its objects are rooted only at the end)
    pool.disable()
    const kinds = [pool.defineRecord("A", ["x"]), pool.defineRecord("B", ["x", "y", "z"]), pool.defineRecord("C", ["p", "q"])]
    // (made first, while the pool has room for it in one piece)
    const hub = wide ? pool.list(600) : 0
    const objs: Handle[] = []
    const refHolders: Handle[] = []
    const n = wide ? 800 : 20 + Math.floor(r() * 150)
    for (let i = 0; i < n && pool.memFree() > 6000; i++) {
        const k = r()
        let h: Handle
        if (k < 0.3) h = pool.record(pick(kinds))
        else if (k < 0.5) h = pool.list(wide && i % 80 === 0 ? 300 : 1 + Math.floor(r() * 6))
        else if (k < 0.65) h = pool.number(i)
        else if (k < 0.8) h = pool.bitmap(4, 4, 1)
        else if (k < 0.9) h = pool.string("s" + i)
        else h = pool.bytes(Math.floor(r() * 40))
        objs.push(h)
        if (k < 0.5) refHolders.push(h)
    }
    const edges = Math.floor((wide ? 2 + r() : r() * 2.5) * n)
    for (let e = 0; e < edges; e++) {
        const from = pick(refHolders)
        const to = r() < 0.1 ? 0 : pick(objs)
        if (pool.typeOf(from) === "list") {
            const l = pool.cast(from, "list")
            // (a list grows by moving: when the pool has no room for that, an item is replaced instead)
            if ((r() < 0.6 || pool.length(l) === 0) && pool.memFree() > 4096) pool.push(l, to)
            else if (pool.length(l) > 0) pool.set(l, Math.floor(r() * pool.length(l)), to)
        } else {
            const rec = pool.cast(from, "record")
            pool.setField(rec, pick(pool.kindOf(rec).fields), to)
        }
    }
    // free some objects still referenced: their referrers keep stale handles
    for (let i = 0; i < n / 15; i++) {
        const h = pick(objs)
        if (pool.isLive(h)) pool.free(h)
    }
    const live = objs.filter(h => pool.isLive(h))
    const names: string[] = []
    if (wide) {
        // a hub: one root that holds 600 objects, so the levels below it are hundreds wide
        for (let i = 0; i < 600; i++) pool.push(hub, pick(live))
        pool.setRoot("hub", hub)
        names.push("hub")
    }
    for (let i = 0; i < 1 + r() * 4; i++) {
        const name = "root" + i
        pool.setRoot(name, pick(live))
        names.push(name)
    }
    if (r() < 0.3) pool.delRoot(names.pop()!)
    const temps: Handle[] = []
    pool.enter()
    for (let i = 0; i < r() * 4; i++) temps.push(pool.keep(pick(live)))
    return { pool, live, names, temps, r }
}

describe("whyAlive()", () => {
    test("on 300 random graphs: every path is a chain of references from a root, as short as the test's own search finds; phantom exactly when it finds none", async () => {
        let paths = 0
        let phantoms = 0
        let longest = 0
        for (let seed = 1; seed <= 300; seed++) {
            const { pool, live, names, temps, r } = randomPool(seed)
            const roots = [...names.map(n => pool.getRoot(n)), ...temps]
            const dist = distances(pool, roots)
            const targets = live.filter(() => r() < 0.3)
            for (const h of targets) {
                const why = await whyAlive(pool, h)
                const d = dist.get(h)
                if (d === undefined) {
                    expect(why.phantom, `seed ${seed}, ${h}: ${why.text}`).toBe(true)
                    expect(why.length).toBe(0)
                    expect(why.text).toContain("phantom")
                    phantoms++
                    continue
                }
                expect(why.phantom, `seed ${seed}, ${h}`).toBe(false)
                expect(why.length, `seed ${seed}, ${h}: ${why.text}`).toBe(d)
                expect(why.handles.length).toBe(d)
                expect(why.steps.length).toBe(d)
                expect(why.handles[d - 1]).toBe(h)
                // the first step is a root that holds the first object
                const s0 = why.steps[0]
                const m = /^temporary (\d+)$/.exec(s0)
                if (m) expect(temps[Number(m[1])]).toBe(why.handles[0])
                else expect(pool.getRoot(s0)).toBe(why.handles[0])
                // each next step is a field or an index of the object before it that holds the next
                for (let k = 1; k < d; k++) {
                    const p = why.handles[k - 1]
                    const idx = /^\[(\d+)\]$/.exec(why.steps[k])
                    if (idx) expect(pool.get(pool.cast(p, "list"), Number(idx[1]))).toBe(why.handles[k])
                    else expect(pool.getField(pool.cast(p, "record"), why.steps[k])).toBe(why.handles[k])
                }
                expect(why.text.split(" -> ").length).toBe(d + 1)
                paths++
                longest = Math.max(longest, d)
            }
        }
        // the graphs are varied enough to mean something
        expect(paths).toBeGreaterThan(500)
        expect(phantoms).toBeGreaterThan(100)
        expect(longest).toBeGreaterThanOrEqual(6)
    })

    test("on 12 random graphs of 800 objects with fan-outs of hundreds (levels wider than the search's queue): the same", async () => {
        let paths = 0
        let wideLevels = 0
        for (let seed = 1001; seed <= 1012; seed++) {
            const { pool, live, names, temps, r } = randomPool(seed, true)
            const roots = [...names.map(n => pool.getRoot(n)), ...temps]
            const dist = distances(pool, roots)
            const perLevel = new Map<number, number>()
            for (const d of dist.values()) perLevel.set(d, (perLevel.get(d) || 0) + 1)
            for (const c of perLevel.values()) if (c > 256) wideLevels++
            for (const h of live.filter(() => r() < 0.05)) {
                const why = await whyAlive(pool, h)
                const d = dist.get(h)
                expect(why.phantom, `seed ${seed}, ${h}`).toBe(d === undefined)
                expect(why.length, `seed ${seed}, ${h}: ${why.text}`).toBe(d || 0)
                for (let k = 1; k < why.handles.length; k++) {
                    const idx = /^\[(\d+)\]$/.exec(why.steps[k])
                    const p = why.handles[k - 1]
                    if (idx) expect(pool.get(pool.cast(p, "list"), Number(idx[1]))).toBe(why.handles[k])
                    else expect(pool.getField(pool.cast(p, "record"), why.steps[k])).toBe(why.handles[k])
                }
                if (d !== undefined) paths++
            }
        }
        expect(paths).toBeGreaterThan(200)
        expect(wideLevels).toBeGreaterThanOrEqual(10)
    })

    test("the guide's story: the bitmap's path from display, through the TileGrid the Group holds; a phantom after del", async () => {
        const pool = new Pool({ size: 8192 })
        const { blinka, grid, group, items } = guideStory(pool)
        const why = await whyAlive(pool, blinka)
        expect(why).toEqual({
            phantom: false,
            length: 4,
            handles: [group, items, grid, blinka],
            steps: ["display", "items", "[0]", "bitmap"],
            text: "bitmap " + blinka + ": display -> Group.items -> list[0] -> TileGrid.bitmap -> bitmap",
        })
        pool.delRoot("display")
        expect(await whyAlive(pool, blinka)).toEqual({ phantom: true, length: 0, handles: [], steps: [], text: "bitmap " + blinka + " is a phantom: no root or temporary reaches it" })
        // a root directly on it, and a temporary
        pool.setRoot("b", blinka)
        expect((await whyAlive(pool, blinka)).text).toBe("bitmap " + blinka + ": b -> bitmap")
        pool.delRoot("b")
        pool.enter()
        pool.keep(grid)
        expect((await whyAlive(pool, blinka)).steps).toEqual(["temporary 0", "bitmap"])
    })

    test("a path longer than WHY_SHOWN objects: its length exact, the first and last halves returned, the text cut in the middle", async () => {
        const pool = new Pool({ size: 16384, handles: 512 })
        const Node = pool.defineRecord("Node", ["next"])
        const chain: Handle[] = [pool.record(Node)]
        pool.setRoot("head", chain[0])
        for (let i = 1; i < 100; i++) {
            const n = pool.record(Node)
            pool.setField(chain[i - 1] as never, "next", n)
            chain.push(n)
        }
        const why = await whyAlive(pool, chain[99])
        expect(why.length).toBe(100)
        expect(why.handles).toEqual([...chain.slice(0, WHY_SHOWN / 2), ...chain.slice(100 - WHY_SHOWN / 2)])
        expect(why.steps).toEqual(["head", ...new Array(WHY_SHOWN - 1).fill("next")])
        expect(why.text).toContain(" -> ... (83 more) -> ")
        expect(why.text.split(" -> Node.next").length - 1).toBe(16)
        // a cycle that nothing roots is a phantom
        pool.delRoot("head")
        pool.setField(chain[99] as never, "next", chain[0])
        expect((await whyAlive(pool, chain[50])).phantom).toBe(true)
    })

    test("with the VM's share of a slice, a search and a description of 1,700 objects run in slices and give the same answer as without a limit", async () => {
        const pool = new Pool({ size: 32768, handles: 2048 })
        const Node = pool.defineRecord("Node", ["next"])
        pool.disable()
        const chain: Handle[] = []
        for (let i = 0; i < 1700; i++) {
            const h = pool.record(Node)
            if (i > 0) pool.setField(h, "next", chain[i - 1])
            chain.push(h)
        }
        pool.setRoot("head", chain[1699])
        const free = await whyAlive(pool, chain[0])
        const reset = meter.reset
        let slices = 0
        meter.limit = SHARE
        meter.reset = function () {
            slices++
            reset.call(meter)
        }
        try {
            meter.reset()
            slices = 0
            const sliced = await whyAlive(pool, chain[0])
            expect(sliced).toEqual(free)
            expect(sliced.length).toBe(1700)
            // the search charges about 660 an object, the turn-round 50 a link and the description 1,000 a link
            expect(slices).toBeGreaterThanOrEqual(Math.floor((1700 * (660 + 50 + 1000)) / SHARE))
        } finally {
            meter.reset = reset
            meter.limit = 0
            meter.reset()
        }
    })

    test("a handle that names no live object is a HandleError; print writes the text to the console", async () => {
        const pool = new Pool({ size: 4096 })
        const h = pool.number(1)
        pool.free(h)
        await expect(whyAlive(pool, h)).rejects.toThrow(HandleError)
        await expect(whyAlive(pool, 42)).rejects.toThrow(HandleError)
        const n = pool.number(2)
        pool.setRoot("n", n)
        const logged: string[] = []
        const log = console.log
        console.log = (s: string) => logged.push(s)
        try {
            await whyAlive(pool, n, true)
        } finally {
            console.log = log
        }
        expect(logged).toEqual(["number " + n + ": n -> number"])
        expect(ArgumentError).toBeDefined()
    })
})
