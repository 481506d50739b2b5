import { describe, expect, test, vi } from "vitest"
import { Pool } from "../../src/index"

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
        expect(a.texts.length).toBe(7)
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
        expect(texts[7]).toBe("GC memory layout; from 0:")
        const rows = texts.slice(8)
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

    test("packedMap: runs of three or more sent as character and length; unpacked, the same map; phantom views too", async () => {
        const pool = new Pool({ size: 16384, handles: 128 })
        const keep = pool.list(40)
        pool.setRoot("keep", keep)
        // objects of every length from 1 to 40 blocks, every third freed
        for (let n = 1; n <= 40; n++) {
            const h = pool.bytes(n * 16 - 8)
            if (n % 3 === 0) pool.free(h)
            else pool.push(keep, h)
        }
        pool.bytes(100) // a phantom: 7 blocks
        /** Run lengths back to characters, written here without memmap.ts. */
        const unpack = (row: string) => {
            let out = ""
            for (const m of row.matchAll(/([^0-9])([0-9]*)/g)) out += m[1].repeat(m[2] === "" ? 1 : Number(m[2]))
            return out
        }
        const isRow = (t: string) => /^[0-9a-f]{5}: /.test(t)
        expect(pool.packedMap()).toBe(false)
        const plain = parse(await dumpLines(pool, true)).texts
        expect(pool.packedMap(true)).toBe(true)
        const packed = parse(await dumpLines(pool, true)).texts
        expect(packed.length).toBe(plain.length)
        let saved = 0
        for (let i = 0; i < plain.length; i++) {
            if (!isRow(plain[i])) {
                expect(packed[i]).toBe(plain[i])
                continue
            }
            const row = packed[i].slice(7)
            expect(packed[i].slice(0, 7)).toBe(plain[i].slice(0, 7))
            expect(unpack(row)).toBe(plain[i].slice(7))
            // no run of three left as it is; no count below 3; never a digit first
            expect(row).not.toMatch(/([^0-9])\1\1/)
            expect(row).not.toMatch(/(^|[^0-9])[0-2](?![0-9])/)
            expect(row).not.toMatch(/^[0-9]/)
            saved += plain[i].length - packed[i].length
        }
        expect(saved).toBeGreaterThan(200)
        expect(packed.filter(isRow)[0]).toBe("00000: M64")
        // a phantom view packs its map the same way, lower-case letters included
        const view: string[] = []
        await pool.phantoms(true, l => view.push(l))
        const rows = parse(view).texts.filter(isRow)
        expect(rows.some(r => r.includes("a=6"))).toBe(true)
        expect(rows.map(r => unpack(r.slice(7))).join("")).toContain("a======.")
        pool.packedMap(false)
        expect(parse(await dumpLines(pool, true)).texts.filter(isRow)).toEqual(plain.filter(isRow))
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
        expect(texts[4]).toBe(" allocs: 2, releases: 0, swept: 0, compactions: 0")
        expect(texts[5]).toMatch(new RegExp("^ gc work: 0, gc time: \\d+ ms, frag: 0%, largest alloc: " + st.largestAllocatable + "$"))
        expect(texts[6]).toBe(" by type: bytes 1/112, string 0/0, number 1/16, bitmap 0/0, list 0/0, record 0/0")
    })

    test("with every counter at its largest, every line stays under 150 characters", async () => {
        const pool = new Pool({ size: 32768 })
        const max32 = 0xffffffff
        // the u32 counters of the header (H_COLLECTIONS, H_ALLOCS, H_FREES, H_DUMPS, H_WORK, H_THRESH stays
        // in range), H_SWEPT (so that releases = H_FREES - H_SWEPT is 0 and "swept" is the largest too),
        // H_GCWORK, H_COMPACTIONS
        for (const at of [52, 56, 60, 72, 80, 84, 88]) pool.buf.writeUInt32LE(max32, at)
        pool.buf.writeUInt32LE(0xfffffff0, 64) // the dump number, near its end
        pool.threshold(32768)
        ;(pool as any).gcMs = max32
        ;(pool as any).pauseMs = max32
        const lines = await dumpLines(pool, true)
        const longest = Math.max(...lines.map(l => l.length))
        expect(lines.some(l => l.includes("allocs: 4294967295, releases: 0, swept: 4294967295, compactions: 4294967295"))).toBe(true)
        expect(longest).toBeLessThan(150)
    })

    test("the statistics lines follow allocations, releases, sweeps, compactions and fragmentation", async () => {
        const pool = new Pool({ size: 4096 })
        const keep = pool.list(8)
        pool.setRoot("keep", keep)
        const a = pool.bytes(24) // 2 blocks
        pool.push(keep, a)
        pool.number(1) // garbage
        const b = pool.bytes(24)
        pool.push(keep, b)
        pool.string("x") // garbage
        pool.push(keep, pool.bytes(8))
        pool.free(a)
        pool.collect()
        const st = pool.stats()
        // free runs (blocks): a's 2 and the number's 1 side by side, the string's 1, and the rest
        expect(st.freeRuns).toBe(3)
        const rest = st.free / 16 - 4
        expect(st.largestFree).toBe(rest * 16)
        expect(st.largestAllocatable).toBe(rest * 16 - 8)
        // umm_malloc's figure: 100 - 100 * sqrt(3² + 1² + rest²) / (3 + 1 + rest), to 0.1
        expect(st.fragmentation).toBe(Math.round(1000 - (1000 * Math.sqrt(9 + 1 + rest * rest)) / (4 + rest)) / 10)
        expect(st.fragmentation).toBe(1.9)
        const { texts } = parse(await dumpLines(pool, false))
        expect(texts[4]).toBe(" allocs: 6, releases: 1, swept: 2, compactions: 0")
        expect(texts[5]).toMatch(new RegExp("^ gc work: " + st.gcWork + ", gc time: \\d+ ms, frag: 1.9%, largest alloc: " + (rest * 16 - 8) + "$"))
        expect(texts[6]).toBe(" by type: bytes 2/48, string 0/0, number 0/0, bitmap 0/0, list 1/48, record 0/0")
        pool.compact()
        const after = parse(await dumpLines(pool, false)).texts
        expect(after[4]).toBe(" allocs: 6, releases: 1, swept: 2, compactions: 1")
        expect(after[5]).toMatch(/^ gc work: \d+, gc time: \d+ ms, frag: 0%, largest alloc: /)
        expect(pool.stats()).toMatchObject({ freeRuns: 1, fragmentation: 0, largestFree: st.free, compactions: 1 })
    })

    test("memInfo prints the dump over the console", async () => {
        const pool = new Pool({ size: 2048 })
        const log = vi.spyOn(console, "log").mockImplementation(() => {})
        await pool.memInfo(true)
        const printed = log.mock.calls.map(c => c[0] as string)
        log.mockRestore()
        parse(printed)
        expect(printed.length).toBe(8 + 2 + 1)
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
