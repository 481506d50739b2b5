/**
 * The heap dump (issue 17, docs/serial-format.md "Heap dumps"), read back by
 * a parser written here from the format's text and checked against the
 * pool's public API: framing and checksum, every object with its type, size,
 * offset, flag and references, the roots, and `torn` when the program changes
 * the pool while the dump is taken.
 */
import { describe, expect, test } from "vitest"
import { heapDump, Pool } from "../../src/index"
import type { Handle } from "../../src/index"
import { parseHeap } from "../../monitor/protocol/heap.mjs"
import { guideStory } from "../support/story"

function fnv(texts: string[]): string {
    let h = 0x811c9dc5
    for (const t of texts)
        for (const c of Buffer.from(t + "\n", "latin1")) h = Math.imul(h ^ c, 16777619)
    return (h >>> 0).toString(16).padStart(8, "0")
}

interface Obj {
    handle: number
    type: string
    bytes: number
    offset: number
    long: boolean
    refs: number[]
}

/** Parses one heap dump's lines (all of one dump, in order); throws on anything the format does not allow. */
function parse(lines: string[]) {
    const texts: string[] = []
    let dump = -1
    let end: RegExpExecArray | null = null
    for (const [i, l] of lines.entries()) {
        expect(l.length, l).toBeLessThan(150)
        expect(l, "printable ASCII").toMatch(/^[\x20-\x7e]+$/)
        const m = /^@(\d+):(\d+) (.*)$/.exec(l)!
        expect(m, l).not.toBeNull()
        if (dump < 0) dump = Number(m[1])
        expect(Number(m[1])).toBe(dump)
        expect(Number(m[2])).toBe(i)
        if (i === lines.length - 1) end = /^end lines=(\d+) crc=([0-9a-f]{8})$/.exec(m[3])
        else texts.push(m[3])
    }
    expect(end, lines[lines.length - 1]).not.toBeNull()
    expect(Number(end![1])).toBe(texts.length)
    expect(end![2]).toBe(fnv(texts))
    const head = /^HEAP: objects: (\d+), roots: (\d+), kinds: (\d+), total: (\d+)$/.exec(texts[0])!
    expect(head, texts[0]).not.toBeNull()
    const kinds: { id: number; name: string; fields: string[] }[] = []
    const roots: [string, number][] = []
    const temps: number[] = []
    const objs: Obj[] = []
    let torn = 0
    for (const t of texts.slice(1)) {
        expect(t[0]).toBe(" ")
        const w = t.slice(1).split(" ")
        if (w[0] === "k") kinds.push({ id: Number(w[1]), name: w[2], fields: w[3] === "-" ? [] : w[3].split(",") })
        else if (w[0] === "r") roots.push([w[1], Number(w[2])])
        else if (w[0] === "t") temps.push(Number(w[1]))
        else if (w[0] === "o") {
            expect(w[5]).toMatch(/^[L-]$/)
            objs.push({ handle: Number(w[1]), type: w[2], bytes: Number(w[3]), offset: Number(w[4]), long: w[5] === "L", refs: w.slice(6).map(Number) })
        } else if (w[0] === "+") {
            const last = objs[objs.length - 1]
            expect(Number(w[1])).toBe(last.handle)
            last.refs.push(...w.slice(2).map(Number))
        } else if (w[0] === "torn") torn = Number(w[1])
        else throw new Error("unknown tag: " + t)
    }
    return { dump, n: Number(head[1]), roots: Number(head[2]), nkinds: Number(head[3]), total: Number(head[4]), kinds, rootLines: roots, temps, objs, torn, texts }
}

const LETTERS: Record<string, string> = { bytes: "A", bitmap: "P", number: "F", string: "S", list: "L" }

/** Checks every `o` line against the pool's public API, and that they are in ascending offset order. */
function checkObjects(pool: Pool, objs: Obj[]) {
    let last = -1
    for (const o of objs) {
        expect(o.offset).toBeGreaterThan(last)
        last = o.offset
        const h = o.handle as Handle
        expect(pool.isLive(h)).toBe(true)
        const t = pool.typeOf(h)
        expect(o.type).toBe(t === "record" ? "R" + pool.kindOf(pool.cast(h, "record")).id : LETTERS[t])
        expect(o.bytes).toBe(pool.sizeOf(h))
        expect(o.offset).toBe(pool.offsetOf(h))
        expect(o.long).toBe(pool.isLongLived(h))
        let refs: number[] = []
        if (t === "list") {
            const l = pool.cast(h, "list")
            for (let i = 0; i < pool.length(l); i++) refs.push(pool.get(l, i))
        } else if (t === "record") {
            const r = pool.cast(h, "record")
            refs = pool.kindOf(r).fields.map(f => pool.getField(r, f))
        }
        expect(o.refs).toEqual(refs)
    }
}

async function dumpOf(pool: Pool, during?: (line: string, i: number) => void) {
    const lines: string[] = []
    const report = await heapDump(pool, l => {
        lines.push(l)
        if (during) during(l, lines.length - 1)
    })
    return { report, lines, d: parse(lines) }
}

/** The guide's story with extras: kinds, roots, a temporary, a phantom, a long-lived list of many items, a stale reference. */
function storyPool() {
    const pool = new Pool({ size: 16384 })
    const { TileGrid, blinka, grid, group, items } = guideStory(pool)
    pool.setRoot("score", pool.number(50))
    // a phantom, and a stale reference (to a freed number) in a record
    const lost = pool.record(TileGrid)
    const gone = pool.number(1)
    pool.setField(lost, "bitmap", gone)
    pool.free(gone)
    // a long-lived list of 40 items: its references go on + lines
    pool.longLived(true)
    const many = pool.list(40)
    pool.longLived(false)
    pool.setRoot("many", many)
    for (let i = 0; i < 40; i++) pool.push(many, i % 3 === 0 ? 0 : blinka)
    pool.enter()
    pool.keep(grid)
    pool.keep(lost)
    return { pool, blinka, grid, group, items, lost, many }
}

describe("heapDump()", () => {
    test("the story's pool: framing and checksum, every object as the API sees it (phantoms, nulls and stale references included), roots, temporaries, kinds", async () => {
        const s = storyPool()
        const { pool } = s
        const { d, report } = await dumpOf(pool)
        expect(d.torn).toBe(0)
        expect(report.changes).toBe(0)
        expect(d.total).toBe(16384)
        expect(d.n).toBe(pool.stats().live)
        expect(d.objs.length).toBe(d.n)
        expect(report.objects).toBe(d.n)
        expect(report.lines).toBe(d.texts.length + 1)
        expect(d.kinds).toEqual([
            { id: 1, name: "TileGrid", fields: ["bitmap"] },
            { id: 2, name: "Group", fields: ["items"] },
        ])
        expect(d.roots).toBe(3)
        expect(d.rootLines).toEqual([
            ["display", s.group],
            ["score", pool.getRoot("score")],
            ["many", s.many],
        ])
        expect(d.temps).toEqual([s.grid, s.lost])
        checkObjects(pool, d.objs)
        const many = d.objs.find(o => o.handle === s.many)!
        expect(many.long).toBe(true)
        expect(many.refs.length).toBe(40)
        expect(d.texts.filter(t => t.startsWith(" + " + s.many + " ")).length).toBeGreaterThanOrEqual(2)
        expect(d.objs.find(o => o.handle === s.lost)!.refs).toEqual([pool.getField(s.lost as never, "bitmap")])
        // the lines in the format's order: header, kinds, roots, temporaries, objects
        const tags = d.texts.slice(1).map(t => t.split(" ")[1])
        expect(tags.join("")).toMatch(/^k+r+t+(o\+*)+$/)
    })

    test("the monitor's parser (monitor/protocol/heap.mjs) reads the story's dump to the same objects, roots and temporaries", async () => {
        const s = storyPool()
        const { d } = await dumpOf(s.pool)
        const { graph, error } = parseHeap(d.texts)
        expect(error).toBeNull()
        expect(graph!.objects.map((o: { handle: number }) => o.handle)).toEqual(d.objs.map(o => o.handle))
        expect(graph!.objects.map((o: { refs: number[] }) => o.refs)).toEqual(d.objs.map(o => o.refs))
        expect(graph!.roots).toEqual(d.rootLines.map(([name, handle]) => ({ name, handle })))
        expect(graph!.temps).toEqual(d.temps)
        expect(graph!.torn).toBe(0)
    })

    test("dump numbers come from the counter memInfo() uses: a heap dump and a map dump never share one", async () => {
        const { pool } = storyPool()
        const seen: number[] = []
        await pool.memInfo(false, l => seen.push(Number(/^@(\d+):/.exec(l)![1])))
        seen.push((await dumpOf(pool)).d.dump)
        await pool.memInfo(false, l => seen.push(Number(/^@(\d+):/.exec(l)![1])))
        expect([...new Set(seen)]).toEqual([1, 2, 3])
    })

    test("a change while it is taken (allocation, free, a stored reference, a root set or deleted, a temporary) ends it with torn; none gives a clean one", async () => {
        const changes: [string, (s: ReturnType<typeof storyPool>) => void][] = [
            ["allocation", s => s.pool.number(7)],
            ["free", s => s.pool.free(s.lost)],
            ["a stored reference", s => s.pool.setField(s.grid as never, "bitmap", 0)],
            ["a list item", s => s.pool.set(s.many, 5, s.grid)],
            ["a pop", s => s.pool.pop(s.many)],
            ["a root set", s => s.pool.setRoot("new", s.blinka)],
            ["a root deleted", s => s.pool.delRoot("score")],
            ["a temporary", s => s.pool.keep(s.blinka)],
            ["a compaction", s => (s.pool.delRoot("display"), s.pool.compact())],
        ]
        // a store is seen once its object has been read (before, the dump shows it: still one instant's);
        // the counters and the roots, from the dump's first line on
        const last = (await dumpOf(storyPool().pool)).lines.length - 2
        for (const [what, change] of changes)
            for (const at of /stored|item|pop/.test(what) ? [last - 1, last] : [2, 8, last]) {
                const s = storyPool()
                const { d, report } = await dumpOf(s.pool, (_l, i) => i === at && change(s))
                expect(d.torn, what + " at line " + at).toBeGreaterThanOrEqual(1)
                expect(report.changes).toBe(d.torn)
                expect(d.texts[d.texts.length - 1]).toBe(" torn " + d.torn)
            }
        // a store into an object not yet read: the dump shows the new reference, and is one instant's
        {
            const s = storyPool()
            const { d } = await dumpOf(s.pool, (_l, i) => i === 2 && s.pool.setField(s.grid as never, "bitmap", 0))
            expect(d.torn).toBe(0)
            checkObjects(s.pool, d.objs)
        }
        // a sink that only reads changes nothing
        const s = storyPool()
        const { d } = await dumpOf(s.pool, () => s.pool.stats())
        expect(d.torn).toBe(0)
    })

    test("names that are not one word are made one; a kind whose fields do not fit on a line ends them with ...", async () => {
        const pool = new Pool({ size: 8192 })
        const fields = Array.from({ length: 30 }, (_, i) => "field_number_" + i)
        pool.defineRecord("Wide kind", fields)
        pool.setRoot("my root, with spaces", pool.record(pool.defineRecord("K", ["a"])))
        pool.setRoot("x".repeat(90), pool.number(1))
        const { d } = await dumpOf(pool)
        expect(d.kinds[0].name).toBe("Wide?kind")
        expect(d.kinds[0].fields[d.kinds[0].fields.length - 1]).toBe("...")
        expect(d.kinds[0].fields.slice(0, -1)).toEqual(fields.slice(0, d.kinds[0].fields.length - 1))
        expect(d.rootLines[0][0]).toBe("my?root??with?spaces")
        expect(d.rootLines[1][0]).toBe("x".repeat(40) + "~")
        checkObjects(pool, d.objs)
    })

    test("a full 32 KiB pool, every block an object: every line under 150 characters, and the bytes per object", async () => {
        for (const shape of ["records", "numbers", "lists"]) {
            const pool = new Pool({ size: 32768, handles: 2048 })
            const Node = pool.defineRecord("Node", ["next"])
            let prev: Handle = 0
            let n = 0
            // nothing is collected: every object stays, linked or not
            pool.disable()
            pool.setRoot("head", pool.number(0))
            try {
                for (;;) {
                    let h: Handle
                    if (shape === "records") {
                        h = pool.record(Node)
                        pool.setField(h as never, "next", prev)
                    } else if (shape === "numbers") h = pool.number(n)
                    else {
                        // 1-block lists of 1 item (16 bytes: header, count, one reference)
                        h = pool.list(1)
                        pool.push(h as never, prev)
                    }
                    pool.setRoot("head", h)
                    prev = h
                    n++
                }
            } catch (e) {
                if (!(e instanceof Error) || e.name !== "MemoryError") throw e
            }
            const { d, report } = await dumpOf(pool)
            expect(d.torn).toBe(0)
            expect(d.objs.length).toBe(pool.stats().live)
            expect(pool.stats().free).toBe(0)
            checkObjects(pool, d.objs)
            const per = report.chars / d.objs.length
            console.log(`heap dump, 32 KiB, every block a ${shape.slice(0, -1)}: ${d.objs.length} objects, ${report.lines} lines, ${report.chars} characters, ${per.toFixed(1)} a object`)
            expect(per).toBeLessThan(60)
        }
    })
})
