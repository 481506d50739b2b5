import { describe, expect, test, vi } from "vitest"
import { Pool } from "../src/index"

/** FNV-1a over the texts + "\n", written independently of src/poolgc/memmap.ts. */
function crcOf(texts: string[]): string {
    let h = 0x811c9dc5
    for (const t of texts)
        for (const byte of Buffer.from(t + "\n", "latin1")) {
            h ^= byte
            h = Math.imul(h, 16777619) >>> 0
        }
    return h.toString(16).padStart(8, "0")
}

/** The lines memInfo prints, collected. */
async function dumpLines(pool: Pool, verbose: boolean): Promise<string[]> {
    const lines: string[] = []
    await pool.memInfo(verbose, line => lines.push(line))
    return lines
}

/** Splits a dump into its texts and checks its frame. */
function parse(lines: string[]) {
    const m0 = /^@(\d+):0 /.exec(lines[0])!
    const dump = Number(m0[1])
    const texts = lines.slice(0, -1).map((l, i) => {
        const prefix = "@" + dump + ":" + i + " "
        expect(l.startsWith(prefix)).toBe(true)
        return l.slice(prefix.length)
    })
    const end = /^@(\d+):(\d+) end lines=(\d+) crc=([0-9a-f]{8})$/.exec(lines[lines.length - 1])!
    expect(Number(end[1])).toBe(dump)
    expect(Number(end[2])).toBe(texts.length)
    expect(Number(end[3])).toBe(texts.length)
    expect(end[4]).toBe(crcOf(texts))
    return { dump, texts }
}

describe("the memory map", () => {
    test("framed dumps: numbered, counted, checksummed, every line under 150 characters", async () => {
        const pool = new Pool({ size: 32768 })
        const a = parse(await dumpLines(pool, false))
        const b = parse(await dumpLines(pool, true))
        expect(b.dump).toBe(a.dump + 1)
        expect(a.texts.length).toBe(4)
        for (const l of await dumpLines(pool, true)) expect(l.length).toBeLessThan(150)
    })

    test("rows of 64 blocks: M metadata, . free, = tail, a letter per type; free rows folded", async () => {
        const pool = new Pool({ size: 8192 })
        const meta = pool.stats().meta / 16
        const K = pool.defineRecord("R", ["a"])
        const objs = [pool.bytes(40), pool.bitmap(8, 8, 1), pool.number(1), pool.string("hi"), pool.list(1), pool.record(K)]
        const gap = pool.bytes(8)
        pool.number(2)
        pool.free(gap)
        const last = pool.bytes(3000) // pushes the map into row 5
        const { texts } = parse(await dumpLines(pool, true))
        expect(texts[4]).toBe("GC memory layout; from 0:")
        const rows = texts.slice(5)
        const chars = rows.filter(r => /^[0-9a-f]{5}: /.test(r)).map(r => r.slice(7)).join("")
        const expected =
            "M".repeat(meta) + "A==" + "P=" + "F" + "S" + "L" + "R" + "." + "F" + "A" + "=".repeat(pool.blocksOf(last) - 1)
        expect(chars.slice(0, expected.length)).toBe(expected)
        // 8192 bytes = 512 blocks = 8 rows; the free rows at the end are folded
        expect(rows[0].startsWith("00000: ")).toBe(true)
        const fold = rows.find(r => /^ {7}\(\d+ lines all free\)$/.test(r))
        expect(fold).toBeDefined()
        const folded = Number(/\((\d+) lines/.exec(fold!)![1])
        expect(rows.length - 1 + folded).toBe(8)
        expect(objs.every(h => pool.isLive(h))).toBe(true)
    })

    test("the summary matches stats()", async () => {
        const pool = new Pool({ size: 4096 })
        pool.bytes(100)
        pool.number(1)
        const st = pool.stats()
        const { texts } = parse(await dumpLines(pool, false))
        expect(texts[0]).toBe("GC: total: 4096, used: " + st.used + ", free: " + st.free)
        expect(texts[1]).toBe(" No. of 1-blocks: 1, 2-blocks: 0, max blk sz: 7, max free sz: " + st.largestFree / 16)
        expect(texts[2]).toBe(" objects: 2, meta: " + st.meta + ", free runs: 1, largest free: " + st.largestFree + ", min free: " + st.minFree)
        expect(texts[3]).toMatch(/^ collections: 0, pause: 0 ms, work: 0, phase: idle, auto: on, threshold: 0$/)
    })

    test("memInfo prints the dump over the console", async () => {
        const pool = new Pool({ size: 2048 })
        const log = vi.spyOn(console, "log").mockImplementation(() => {})
        await pool.memInfo(true)
        const printed = log.mock.calls.map(c => c[0] as string)
        log.mockRestore()
        parse(printed)
        expect(printed.length).toBe(5 + 2 + 1)
    })
})

describe("a dump in progress", () => {
    test("shows the pool as it was at the call, though the program frees and allocates over it meanwhile", async () => {
        const pool = new Pool({ size: 32768, handles: 1500 })
        const strings: number[] = []
        pool.disable()
        for (let i = 0; i < 1200; i++) strings.push(pool.string("s" + i))
        const expected = parse(await dumpLines(pool, true)).texts.slice(1) // without the dump number
        const lines: string[] = []
        const dumping = pool.memInfo(true, line => lines.push(line)) // walks a part now, the rest later
        // the program runs: every string freed, numbers allocated over them
        for (const s of strings) pool.free(s)
        for (let i = 0; i < 1200; i++) pool.number(i)
        await dumping
        const got = parse(lines)
        expect(got.texts.slice(1)).toEqual(expected)
        // while the next dump sees the numbers
        const after = parse(await dumpLines(pool, true)).texts.join("\n")
        expect(after).toMatch(/FFFF/)
        expect(after).not.toMatch(/S/)
    })
})
