/**
 * Heap dumps for the monitor's tests, written by hand from the format
 * (docs/serial-format.md, "Heap dumps"): framing a dump's texts, a small
 * hand-written dump, a writer of random graphs in the format (refs past 150
 * characters go on `+` lines), and a seeded random graph.
 */
import { dumpCrc } from "../../monitor/protocol/dumps.mjs"
import { rng } from "../support/rng"

/** The framed lines of dump `dump` whose payload is `texts`: `@d:i text`, then the end line. */
export function framed(dump: number, texts: string[]): string[] {
    return [...texts.map((t, i) => `@${dump}:${i} ${t}`), `@${dump}:${texts.length} end lines=${texts.length} crc=${dumpCrc(texts)}`]
}

/**
 * A hand-written heap dump: kinds Player (name, items, next) and Empty (no
 * fields); roots game and best; one temporary; a list with a null item; a
 * chain of phantoms (3073 -> 3329, and 3329 -> 3073 back: a cycle nothing
 * reaches), refs continued on a `+` line, and a line with a tag this reader
 * does not know. Reachable: 257 513 769 1025 1281 1537 1793 2049 2305;
 * phantoms: 3073 3329 3585.
 */
export const HAND_DUMP = [
    "HEAP: objects: 12, roots: 2, kinds: 2, total: 4096",
    " k 1 Player name,items,next",
    " k 2 Empty -",
    " r game 257",
    " r best 1793",
    " t 2305",
    " o 257 R1 12 64 L 513 769 1793",
    " o 513 S 5 96 L",
    " o 769 L 16 128 - 1025 0 1281",
    " + 769 1537",
    " o 1025 F 8 176 -",
    " o 1281 A 40 208 -",
    " o 1537 P 24 272 -",
    " o 1793 R1 12 320 - 2049 0 0",
    " o 2049 S 3 352 -",
    " x a tag from a newer device 1 2 3",
    " o 2305 R2 0 384 -",
    " o 3073 L 8 416 - 3329 3585",
    " o 3329 R1 12 448 - 0 0 3073",
    " o 3585 A 100 480 -",
]

/**
 * HAND_DUMP one step on: its phantoms collected, 1281 freed and its slot
 * reused (66817), strings 4097 and 4353 born into the list, 4609 and 5121
 * born and dropped, the temporary gone (2305 unreachable).
 */
export const LATER_DUMP = [
    "HEAP: objects: 13, roots: 2, kinds: 2, total: 4096",
    " k 1 Player name,items,next",
    " k 2 Empty -",
    " r game 257",
    " r best 1793",
    " o 257 R1 12 64 L 513 769 1793",
    " o 513 S 5 96 L",
    " o 769 L 24 128 - 1025 0 66817 1537 4097 4353",
    " o 1025 F 8 176 -",
    " o 66817 A 40 208 -",
    " o 1537 P 24 272 -",
    " o 1793 R1 12 320 - 2049 0 0",
    " o 2049 S 3 352 -",
    " o 2305 R2 0 384 -",
    " o 4097 S 20 416 -",
    " o 4353 S 20 448 -",
    " o 4609 S 20 480 -",
    " o 5121 F 8 512 -",
]

/** A graph as the tests build it (the fields of a HeapGraph that the writer needs). */
export type TestGraph = {
    total: number
    kinds: { id: number; name: string; fields: string[] }[]
    roots: { name: string; handle: number }[]
    temps: number[]
    objects: { handle: number; type: string; bytes: number; offset: number; long: boolean; refs: number[] }[]
    torn?: number
}

/** The payload texts of `g` in the heap dump format, every line under 150 characters. */
export function heapTexts(g: TestGraph): string[] {
    const out = [`HEAP: objects: ${g.objects.length}, roots: ${g.roots.length}, kinds: ${g.kinds.length}, total: ${g.total}`]
    for (const k of g.kinds) out.push(` k ${k.id} ${k.name} ${k.fields.length ? k.fields.join(",") : "-"}`)
    for (const r of g.roots) out.push(` r ${r.name} ${r.handle}`)
    for (const t of g.temps) out.push(` t ${t}`)
    for (const o of [...g.objects].sort((a, b) => a.offset - b.offset)) {
        let line = ` o ${o.handle} ${o.type} ${o.bytes} ${o.offset} ${o.long ? "L" : "-"}`
        for (const ref of o.refs) {
            if (line.length + 1 + String(ref).length >= 150) {
                out.push(line)
                line = ` + ${o.handle}`
            }
            line += ` ${ref}`
        }
        out.push(line)
    }
    if (g.torn) out.push(` torn ${g.torn}`)
    return out
}

/**
 * A random graph of `n` objects (seeded): lists and records with refs to
 * random objects (null now and then), leaves of the other types, a few roots
 * and temporaries; handles are slot + generation * 65536, as a pool's are.
 */
export function randomGraph(seed: number, n: number): TestGraph {
    const r = rng(seed)
    const int = (k: number) => Math.floor(r() * k)
    const kinds = [
        { id: 1, name: "Node", fields: ["left", "right"] },
        { id: 2, name: "Box", fields: ["value"] },
        { id: 3, name: "Wide", fields: Array.from({ length: 30 }, (_, i) => `f${i}`) },
        { id: 4, name: "Unit", fields: [] },
    ]
    const handles = Array.from({ length: n }, (_, i) => i + 1 + (1 + int(5)) * 65536)
    const objects: TestGraph["objects"] = []
    let offset = 64
    for (const handle of handles) {
        const pick = int(10)
        const ref = () => (r() < 0.15 ? 0 : handles[int(n)])
        let type: string
        let refs: number[] = []
        if (pick < 3) {
            type = "L"
            refs = Array.from({ length: int(r() < 0.1 ? 60 : 5) }, ref)
        } else if (pick < 6) {
            const k = kinds[int(kinds.length)]
            type = `R${k.id}`
            refs = k.fields.map(ref)
        } else type = ["A", "P", "F", "S"][int(4)]
        const bytes = type[0] === "R" || type === "L" ? Math.max(refs.length * 2, 0) : 1 + int(64)
        objects.push({ handle, type, bytes, offset, long: r() < 0.2, refs })
        offset += 16 * (1 + Math.ceil((bytes + 8) / 16))
    }
    const roots = Array.from({ length: int(4) }, (_, i) => ({ name: `root${i}`, handle: handles[int(n)] }))
    const temps = Array.from({ length: int(3) }, () => handles[int(n)])
    return { total: offset + 1024, kinds, roots, temps, objects }
}
