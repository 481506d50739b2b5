/**
 * Serial cost of a full memory-map dump (issue 5): bytes and lines of
 * `memInfo(true)` for the benchmark heaps at 16 and 32 KiB, beside what
 * MicroPython's `micropython.mem_info(1)` needs to show the same map.
 *
 * The heaps: each trace kind's generator (bench/traces.ts) shaped for the pool
 * size, 200,000 operations, seed 1, replayed with explicit release (as
 * poolgc-free: automatic collection off, `free()` on FREE); the dump is taken
 * at the end, and also at the most fragmented moment seen (most free runs,
 * sampled every 1,000 records), where the map is longest.
 *
 * MicroPython's figure is computed from the same dump, line by line, from what
 * `py/gc.c` prints for the same table: its two summary lines ("GC: total ..."
 * and " No. of 1-blocks ...", the same text as poolgc's lines 0 and 1), the
 * "GC memory layout; from %p:" heading with a 32-bit address (8 hex digits
 * where poolgc prints "0"), every map row with an 8-digit offset ("%08x: ",
 * poolgc's has 5), the same folding of all-free rows, one "\n" a line. It has
 * no framing (poolgc's "@<dump>:<line> " prefixes and "end" line), no
 * statistics lines 2-6 and no phantom line.
 *
 * Run by bench/bench.mjs (one process); prints one JSON line.
 */
import { MemoryError } from "../src/poolgc/errors"
import { Pool } from "../src/poolgc/pool"
import { OP_ALLOC, OP_FREE, OP_LINK, OP_UNLINK, TraceGen } from "./traces"

export interface SerialRow {
    kind: string
    size: number
    moment: string
    lines: number
    bytes: number
    mpLines: number
    mpBytes: number
}

/** poolgc's dump texts (prefix included) -> [lines, bytes] as sent, and MicroPython's [lines, bytes] for the same map. */
export function measure(texts: string[]): number[] {
    let bytes = 0
    let mpLines = 0
    let mpBytes = 0
    for (const t of texts) {
        bytes += t.length + 1
        const body = t.replace(/^@\d+:\d+ /, "")
        if (body.startsWith("GC: total:") || body.startsWith(" No. of 1-blocks:")) {
            mpLines++
            mpBytes += body.length + 1
        } else if (body.startsWith("GC memory layout; from 0:")) {
            mpLines++
            mpBytes += body.length + 7 + 1 // "from 20001a40:" on a 32-bit MCU
        } else if (/^[0-9a-f]{5}: /.test(body)) {
            mpLines++
            mpBytes += body.length + 3 + 1 // "%08x: " where poolgc prints 5 digits
        } else if (/^ +\(\d+ lines all free\)$/.test(body)) {
            mpLines++
            mpBytes += body.length + 1
        }
    }
    return [texts.length, bytes, mpLines, mpBytes]
}

async function dump(pool: Pool): Promise<string[]> {
    const out: string[] = []
    await pool.memInfo(true, (s: string) => out.push(s))
    return out
}

async function heap(kind: string, size: number): Promise<SerialRow[]> {
    const gen = new TraceGen({ name: kind, kind: kind, region: size, ops: 200000, seed: 1 })
    const pool = new Pool({ size: size, handles: size >> 5 })
    pool.disable()
    const hs: number[] = []
    let worst: string[] = []
    let worstRuns = -1
    let records = 0
    while (gen.next()) {
        const a = gen.a
        while (hs.length <= a) hs.push(0)
        try {
            if (gen.op === OP_ALLOC) hs[a] = gen.c > 0 ? pool.list(gen.c) : pool.bytes(gen.b)
            else if (gen.op === OP_LINK && hs[a] !== 0 && hs[gen.b] !== 0) pool.push(hs[a], hs[gen.b])
            else if (gen.op === OP_UNLINK && hs[a] !== 0) pool.removeAt(hs[a], gen.b)
            else if (gen.op === OP_FREE && hs[a] !== 0) {
                pool.free(hs[a])
                hs[a] = 0
            }
        } catch (e) {
            if (!(e instanceof MemoryError)) throw e
            if (gen.op === OP_ALLOC) hs[a] = 0
        }
        if (++records % 1000 === 0) {
            const runs = pool.stats().freeRuns
            if (runs > worstRuns) {
                worstRuns = runs
                worst = await dump(pool)
            }
        }
    }
    const rows: SerialRow[] = []
    for (const [moment, texts] of [
        ["end", await dump(pool)],
        ["most fragmented", worst],
    ] as [string, string[]][]) {
        const m = measure(texts)
        rows.push({ kind, size, moment, lines: m[0], bytes: m[1], mpLines: m[2], mpBytes: m[3] })
    }
    return rows
}

async function main() {
    const rows: SerialRow[] = []
    for (const kind of ["steady", "overcommit", "game"]) for (const size of [16384, 32768]) rows.push(...(await heap(kind, size)))
    console.log(JSON.stringify(rows))
}

if (process.argv[1] && /serial\.m?[jt]s$/.test(process.argv[1])) await main()
