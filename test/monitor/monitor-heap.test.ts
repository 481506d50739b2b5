/**
 * Heap dumps in the monitor (docs/serial-format.md, "Heap dumps"; written by
 * hand from the format, test/monitor/heap-support.ts): the parser on whole,
 * damaged and torn dumps, interleaved with map dumps; reachability (phantoms)
 * and the retainer path against an independent search over seeded random
 * graphs; the diff of two heap dumps.
 */
import { describe, expect, test } from "vitest"
import { diffHeaps, pathText, phantomObjects, reachable, retainerPath, typeName } from "../../monitor/protocol/graph.mjs"
import { isHeapDump, parseHeap } from "../../monitor/protocol/heap.mjs"
import type { HeapGraph } from "../../monitor/protocol/heap.mjs"
import { fixtureLines, STATS_FIXTURE } from "./monitor-support"
import { framed, HAND_DUMP, heapTexts, randomGraph, type TestGraph } from "./heap-support"
import { MonitorSession } from "../../monitor/protocol/session.mjs"

/** Runs lines through a session (no idle timer) and ends the stream. */
function feed(lines: string[]) {
    const s = new MonitorSession({ source: "test", idleMs: 0 })
    const order: string[] = []
    s.on("dump", d => order.push(`map ${d.dump}`))
    s.on("heap", d => order.push(`heap ${d.dump}`))
    s.on("damaged", d => order.push(`damaged ${d.dump}`))
    s.data(Buffer.from(lines.join("\n") + "\n", "latin1"))
    s.setStatus("ended")
    s.close()
    return { s, order }
}

const graphOf = (texts: string[]) => {
    const p = parseHeap(texts)
    expect(p.error).toBeNull()
    return p.graph!
}

describe("the heap dump parser", () => {
    test("the hand-written dump: kinds, roots, temporaries, objects and refs by value; + lines joined; an unknown tag skipped", () => {
        expect(isHeapDump(HAND_DUMP)).toBe(true)
        const g = graphOf(HAND_DUMP)
        expect(g.total).toBe(4096)
        expect(g.kinds).toEqual([
            { id: 1, name: "Player", fields: ["name", "items", "next"], cut: false },
            { id: 2, name: "Empty", fields: [], cut: false },
        ])
        expect(g.roots).toEqual([
            { name: "game", handle: 257 },
            { name: "best", handle: 1793 },
        ])
        expect(g.temps).toEqual([2305])
        expect(g.objects.map(o => o.handle)).toEqual([257, 513, 769, 1025, 1281, 1537, 1793, 2049, 2305, 3073, 3329, 3585])
        expect(g.objects[0]).toEqual({ handle: 257, type: "R1", bytes: 12, offset: 64, long: true, refs: [513, 769, 1793] })
        expect(g.objects[2]).toEqual({ handle: 769, type: "L", bytes: 16, offset: 128, long: false, refs: [1025, 0, 1281, 1537] })
        expect(g.objects[8]).toEqual({ handle: 2305, type: "R2", bytes: 0, offset: 384, long: false, refs: [] })
        expect(g.torn).toBe(0)
        expect(g.dangling).toEqual([])
        expect(typeName(g, "R1")).toBe("record Player")
        expect(typeName(g, "R9")).toBe("record R9")
        expect(typeName(g, "S")).toBe("string")
    })

    test("what is not the format is reported with its line, never guessed", () => {
        const bad = (texts: string[]) => parseHeap(texts).error
        const swap = (i: number, t: string) => HAND_DUMP.map((x, k) => (k === i ? t : x))
        expect(bad(["GC: total: 4096"])).toMatch(/unreadable heap dump line 0/)
        expect(bad(swap(0, "HEAP: objects: 11, roots: 2, kinds: 2, total: 4096"))).toBe("line 0 says 11 objects, the dump has 12")
        expect(bad(swap(0, "HEAP: objects: 12, roots: 3, kinds: 2, total: 4096"))).toBe("line 0 says 3 roots, the dump has 2")
        expect(bad(swap(9, " + 513 1537"))).toMatch(/^heap dump line 9 \(more refs\) does not follow its object's line/)
        expect(bad(swap(7, " o 513 S 5 600 L"))).toMatch(/line 8 is not in offset order/)
        expect(bad(swap(7, " o 257 S 5 96 L"))).toMatch(/line 7 repeats handle 257/)
        expect(bad(swap(7, " o 513 Q 5 96 L"))).toMatch(/line 7 \(object\) is unreadable/)
        expect(bad(swap(7, " o 513 S 5 96 L 257"))).toBe("object 513 of type S has refs")
        expect(bad(swap(13, " o 1793 R1 12 320 - 2049 0"))).toBe("object 1793 (Player) has 2 fields, its kind 3")
        expect(bad(swap(13, " o 1793 R5 12 320 - 2049 0 0"))).toBe("object 1793 is of kind 5, which the dump does not define")
        expect(bad(swap(3, "r game 257"))).toMatch(/line 3 is not a tagged line/)
        expect(bad([...HAND_DUMP, " torn 0"])).toMatch(/\(torn\) is unreadable/)
    })

    test("a torn dump may hold other counts than its line 0 (the pool's at the start); a cut field list names the rest by index", () => {
        const swap = (i: number, t: string) => HAND_DUMP.map((x, k) => (k === i ? t : x))
        const torn = parseHeap([...swap(0, "HEAP: objects: 11, roots: 3, kinds: 2, total: 4096"), " torn 2"])
        expect(torn.error).toBeNull()
        expect(torn.graph!.objects.length).toBe(12)
        expect(torn.graph!.torn).toBe(2)
        // the same counts in a clean dump are an error (above); a cut list: "name,..." for Player's three fields
        const kindLine = HAND_DUMP.findIndex(t => t.startsWith(" k 1 "))
        const cut = graphOf(swap(kindLine, " k 1 Player name,..."))
        expect(cut.kinds[0]).toEqual({ id: 1, name: "Player", fields: ["name", "#1", "#2"], cut: true })
        expect(parseHeap(swap(kindLine, " k 1 Player name,items")).error).toBe("object 257 (Player) has 3 fields, its kind 2")
    })

    test("a ref to a handle the dump does not hold is listed as dangling", () => {
        const g = graphOf(HAND_DUMP.map(t => (t === " o 1793 R1 12 320 - 2049 0 0" ? " o 1793 R1 12 320 - 2049 0 99" : t)))
        expect(g.dangling).toEqual([{ from: 1793, index: 2, to: 99 }])
    })

    test("the writer's long ref lists come back whole through + lines (every line under 150 characters)", () => {
        for (let seed = 1; seed <= 20; seed++) {
            const tg = randomGraph(seed, 80)
            const texts = heapTexts(tg)
            expect(texts.every(t => t.length < 150)).toBe(true)
            const g = graphOf(texts)
            expect(g.objects.map(o => [o.handle, o.refs])).toEqual(tg.objects.map(o => [o.handle, o.refs]))
        }
        expect(heapTexts(randomGraph(3, 80)).some(t => t.startsWith(" + "))).toBe(true)
    })
})

describe("heap dumps in the stream", () => {
    const maps = fixtureLines(STATS_FIXTURE).filter(l => /^@\d+:/.test(l))
    /** The statistics fixture's first map dump, renumbered. */
    const mapDump = (n: number) => {
        const texts: string[] = []
        for (const l of maps) {
            const m = /^@1:(\d+) (.*)$/.exec(l)
            if (m && !m[2].startsWith("end lines=")) texts.push(m[2])
        }
        return framed(n, texts)
    }

    test("whole map and heap dumps interleaved: each goes to its own history, map dumps read as before", () => {
        const { s, order } = feed([...mapDump(1), "a log line", ...framed(2, HAND_DUMP), ...mapDump(3), ...framed(4, heapTexts(randomGraph(1, 30)))])
        expect(order).toEqual(["map 1", "heap 2", "map 3", "heap 4"])
        expect(s.history.map(d => [d.seq, d.dump])).toEqual([
            [1, 1],
            [3, 3],
        ])
        expect(s.history.every(d => d.blocks && d.stats && !d.error)).toBe(true)
        expect(s.heaps.map(h => [h.seq, h.dump, h.error, h.graph!.objects.length])).toEqual([
            [2, 2, null, 12],
            [4, 4, null, 30],
        ])
        expect(s.counters).toMatchObject({ whole: 4, damaged: 0 })
        expect(s.logs.map(l => l.text)).toEqual(["a log line"])
    })

    test("damaged heap dumps are never shown as whole: a lost line, a bad crc, a cut line, a new dump before the end", () => {
        const good = framed(5, HAND_DUMP)
        const lost = good.filter((_, i) => i !== 7)
        const badCrc = good.map((l, i) => (i === 8 ? l.replace("1025 0 1281", "1025 0 1280") : l))
        const cut = good.map((l, i) => (i === 6 ? l.slice(0, 20) : l))
        const noEnd = good.slice(0, 10)
        const cases: [string, string[], RegExp][] = [
            ["lost", lost, /^heap dump 5 damaged: lost 1 line of 20 \(7\); still showing heap dump 1$/],
            ["crc", badCrc, /^heap dump 5 damaged: all lines came but the crc does not match/],
            ["cut", cut, /^heap dump 5 damaged: all lines came but the crc does not match/],
            ["no end", noEnd, /^heap dump 5 damaged: its end never came \(dump 6 started\): the end and any lines after 9 lost; still showing heap dump 1$/],
        ]
        for (const [what, lines, re] of cases) {
            const { s, order } = feed([...framed(1, HAND_DUMP), ...lines, ...mapDump(6)])
            expect(order, what).toEqual(["heap 1", "damaged 5", "map 6"])
            expect(s.heaps.map(h => h.dump), what).toEqual([1])
            expect(s.damaged[0].heap, what).toBe(true)
            expect(s.damaged[0].afterSeq, what).toBe(1)
            expect(s.logs.find(l => l.kind === "damage")!.text, what).toMatch(re)
        }
        // line 0 lost: which kind it was is not known, and the report says "dump" as for any dump
        const { s } = feed([...framed(1, HAND_DUMP), ...good.slice(1)])
        expect(s.damaged[0].heap).toBeNull()
        expect(s.damaged[0].summary).toMatch(/^dump 5 damaged: lost 1 line of 20 \(0\)$/)
    })

    test("heapLimit: the oldest heap dumps go first, the map dumps' history is its own", () => {
        const s = new MonitorSession({ source: "test", idleMs: 0, heapLimit: 3 })
        for (let n = 1; n <= 5; n++) s.data(Buffer.from(framed(n, HAND_DUMP).join("\n") + "\n", "latin1"))
        s.close()
        expect(s.heaps.map(h => h.dump)).toEqual([3, 4, 5])
        expect(s.counters.whole).toBe(5)
    })

    test("a torn dump is flagged with its count of changes; a whole dump the monitor cannot read is a note, not a graph", () => {
        const { s } = feed([...framed(1, [...HAND_DUMP, " torn 3"]), ...framed(2, HAND_DUMP.map((t, i) => (i === 7 ? " o 513 S 5 96 L 257" : t)))])
        expect(s.heaps[0].graph!.torn).toBe(3)
        expect(s.heaps[1].graph).toBeNull()
        expect(s.logs.map(l => l.text)).toEqual(["heap dump 2 came whole but the monitor cannot read it: object 513 of type S has refs"])
    })
})

/** Distances from the roots and temporaries by repeated relaxation (Bellman-Ford style), not BFS. */
function distances(g: TestGraph): Map<number, number> {
    const have = new Set(g.objects.map(o => o.handle))
    const d = new Map<number, number>()
    for (const h of [...g.roots.map(r => r.handle), ...g.temps]) if (have.has(h)) d.set(h, 0)
    for (let changed = true; changed; ) {
        changed = false
        for (const o of g.objects) {
            const here = d.get(o.handle)
            if (here === undefined) continue
            for (const to of o.refs) {
                if (to === 0 || !have.has(to)) continue
                if ((d.get(to) ?? Infinity) > here + 1) {
                    d.set(to, here + 1)
                    changed = true
                }
            }
        }
    }
    return d
}

describe("reachability and the retainer path", () => {
    test("the hand-written dump: phantoms, and paths by value", () => {
        const g = graphOf(HAND_DUMP)
        expect(phantomObjects(g).map(o => o.handle)).toEqual([3073, 3329, 3585])
        expect(pathText(retainerPath(g, 1537)!)).toBe("root game → #257 .items → #769 [3] → #1537")
        expect(pathText(retainerPath(g, 2049)!)).toBe("root best → #1793 .name → #2049")
        expect(pathText(retainerPath(g, 2305)!)).toBe("temp 0 → #2305")
        expect(retainerPath(g, 2305)).toEqual([{ kind: "temp", index: 0, handle: 2305 }])
        expect(retainerPath(g, 3329)).toBeNull() // a phantom (in a cycle)
        expect(retainerPath(g, 42)).toBeNull() // not in the dump
    })

    test("random graphs (seeded): phantoms and path lengths agree with an independent search; every step is a real ref", () => {
        for (let seed = 1; seed <= 200; seed++) {
            const tg = randomGraph(seed, 5 + (seed % 60))
            const g = graphOf(heapTexts(tg)) as HeapGraph
            const d = distances(tg)
            const reached = reachable(g)
            expect([...reached].sort((a, b) => a - b), `seed ${seed}`).toEqual([...d.keys()].sort((a, b) => a - b))
            const byHandle = new Map(tg.objects.map(o => [o.handle, o]))
            for (const o of tg.objects) {
                const path = retainerPath(g, o.handle)
                if (!d.has(o.handle)) {
                    expect(path, `seed ${seed} #${o.handle}`).toBeNull()
                    continue
                }
                expect(path!.length - 1, `seed ${seed} #${o.handle}`).toBe(d.get(o.handle))
                const [start, ...steps] = path!
                if (start.kind === "root") expect(tg.roots).toContainEqual({ name: start.name, handle: start.handle })
                else if (start.kind === "temp") expect(tg.temps[start.index]).toBe(start.handle)
                else throw new Error(`seed ${seed}: a path starts with a ${start.kind}`)
                let at = start.handle
                for (const s of steps) {
                    if (s.kind !== "field" && s.kind !== "item") throw new Error(`seed ${seed}: a ${s.kind} step inside a path`)
                    expect(s.from).toBe(at)
                    const from = byHandle.get(at)!
                    expect(from.refs[s.index]).toBe(s.handle)
                    if (s.kind === "field") expect(s.name).toBe(tg.kinds.find(k => `R${k.id}` === from.type)!.fields[s.index])
                    else expect(from.type).toBe("L")
                    at = s.handle
                }
                expect(at).toBe(o.handle)
            }
        }
    })
})

describe("the diff of two heap dumps", () => {
    test("born and alive grouped by type and size (largest first), born and already dead, freed; a reused slot is a new handle", () => {
        const older = graphOf(HAND_DUMP)
        // 3073/3329/3585 (the phantoms) were collected; 1281 freed, its slot reused as 1281 + 65536;
        // four strings of 20 bytes and two numbers born, held by the list; one more string born and dropped
        const newer = graphOf([
            "HEAP: objects: 16, roots: 2, kinds: 2, total: 4096",
            " k 1 Player name,items,next",
            " k 2 Empty -",
            " r game 257",
            " r best 1793",
            " o 257 R1 12 64 L 513 769 1793",
            " o 513 S 5 96 L",
            " o 769 L 32 128 - 1025 0 66817 1537 4097 4353 4609 4865 5121 5377",
            " o 1025 F 8 176 -",
            " o 66817 A 40 208 -",
            " o 1537 P 24 272 -",
            " o 1793 R1 12 320 - 2049 0 0",
            " o 2049 S 3 352 -",
            " o 2305 R2 0 384 -",
            " o 4097 S 20 416 -",
            " o 4353 S 20 448 -",
            " o 4609 S 20 480 -",
            " o 4865 S 20 512 -",
            " o 5121 F 8 544 -",
            " o 5377 F 8 560 -",
            " o 5633 S 20 576 -",
        ])
        const diff = diffHeaps(older, newer)
        expect(diff.born.map(g => [g.type, g.bytes, g.count, g.total, g.handles])).toEqual([
            ["S", 20, 4, 80, [4097, 4353, 4609, 4865]],
            ["A", 40, 1, 40, [66817]],
            ["F", 8, 2, 16, [5121, 5377]],
        ])
        // 2305 (the temporary's Empty) is still there, now unreachable: not born, so not in bornDead
        expect(diff.bornDead.map(g => [g.type, g.bytes, g.count, g.handles])).toEqual([["S", 20, 1, [5633]]])
        expect(diff.freed.map(g => [g.type, g.bytes, g.count, g.total, g.handles])).toEqual([
            ["A", 100, 1, 100, [3585]],
            ["A", 40, 1, 40, [1281]],
            ["R1", 12, 1, 12, [3329]],
            ["L", 8, 1, 8, [3073]],
        ])
        expect(diff.totals).toEqual({ born: 7, bornBytes: 136, bornDead: 1, freed: 4, freedBytes: 160 })
        expect(diff.kept).toBe(8)
        expect(diff.torn).toBe(false)
        expect(diffHeaps(older, graphOf([...HAND_DUMP, " torn 1"])).torn).toBe(true)
        // a dump against itself: nothing born, nothing freed
        expect(diffHeaps(older, older).totals).toEqual({ born: 0, bornBytes: 0, bornDead: 0, freed: 0, freedBytes: 0 })
    })
})
