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
 * Each heap is built twice, by the same replay: once dumped as printed by
 * default, once with the packedMap option (map rows run-length packed, the
 * rest the same), so both dumps carry the same dump and line numbers.
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
    /** The same dump with packedMap (the same lines, shorter map rows): its bytes. */
    packedBytes: number
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

/** The heap's dump at the end and at its most fragmented moment. */
async function heap(kind: string, size: number, packed: boolean): Promise<string[][]> {
    const gen = new TraceGen({ name: kind, kind: kind, region: size, ops: 200000, seed: 1 })
    const pool = new Pool({ size: size, handles: size >> 5, packedMap: packed })
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
    return [await dump(pool), worst]
}

async function main() {
    const rows: SerialRow[] = []
    for (const kind of ["steady", "overcommit", "game"])
        for (const size of [16384, 32768]) {
            const plain = await heap(kind, size, false)
            const packed = await heap(kind, size, true)
            const moments = ["end", "most fragmented"]
            for (let i = 0; i < 2; i++) {
                const m = measure(plain[i])
                const p = measure(packed[i])
                rows.push({ kind, size, moment: moments[i], lines: m[0], bytes: m[1], packedBytes: p[1], mpLines: m[2], mpBytes: m[3] })
            }
        }
    console.log(JSON.stringify(rows))
}

if (process.argv[1] && /serial\.m?[jt]s$/.test(process.argv[1])) await main()
