/**
 * verify(): a healthy pool passes in every phase; each kind of damage is
 * reported as a CorruptionError naming the place, expected and found.
 */
import { describe, expect, test } from "vitest"
import { CorruptionError, Pool, PoolError, VERIFY_MAX_UNITS, Verifier, verifyPool } from "../../src/index"
import * as L from "../../src/poolgc/layout"

function healthy() {
    const pool = new Pool({ size: 2048, namedRoots: 15 }) // 62 bytes of padding before the first data block
    const K = pool.defineRecord("K", ["a", "b"])
    const list = pool.list(2)
    pool.setRoot("list", list)
    const num = pool.number(3)
    const rec = pool.record(K)
    const bmp = pool.bitmap(3, 3, 4)
    pool.push(list, num)
    pool.push(list, rec)
    pool.setField(rec, "a", bmp)
    const gone = pool.number(9)
    pool.free(gone)
    return { pool, list, num, rec, bmp, blk: (h: number) => pool.offsetOf(h) >> 4 }
}

const ATB = L.HEADER_BYTES
const setCode = (buf: Buffer, b: number, c: number) => {
    const i = ATB + (b >> 2)
    const sh = (b & 3) * 2
    buf[i] = (buf[i] & ~(3 << sh)) | (c << sh)
}

describe("verify()", () => {
    test("passes on healthy pools, idle and in every phase of a collection, sync and async", async () => {
        const { pool } = healthy()
        pool.verify()
        verifyPool(pool.buf)
        let steps = 0
        while (!pool.collectStep(3)) {
            pool.verify()
            steps++
        }
        expect(steps).toBeGreaterThan(3)
        pool.verify()
        await pool.verifyAsync(5)
    })

    test("a resumable Verifier goes on when the pool changes between runs, and counts again in a census", () => {
        const { pool } = healthy()
        const v = new Verifier(pool.buf)
        expect(v.run(5)).toBe(false)
        pool.number(1)
        let runs = 0
        while (!v.run(5)) runs++
        expect(v.changes).toBe(1)
        // the change came while stage 1 counted: a census of the ATB, one of the types, one of the slots
        expect(v.censuses).toBe(3)
        // and quiet, none
        const w = new Verifier(pool.buf)
        while (!w.run(5));
        expect(w.changes).toBe(0)
        expect(w.censuses).toBe(0)
        expect(runs).toBeGreaterThan(3)
    })

    const cases: [string, (p: ReturnType<typeof healthy>) => void, RegExp][] = [
        ["magic", ({ pool }) => (pool.buf[0] = 0), /^pool corrupt: header: H_MAGIC: expected/],
        ["free count", ({ pool }) => pool.buf.writeUInt16LE(pool.buf.readUInt16LE(L.H_FREE) - 1, L.H_FREE), /^pool corrupt: header: H_FREE: expected \d+ \(free blocks counted\), found \d+$/],
        ["live count", ({ pool }) => pool.buf.writeUInt32LE(pool.buf.readUInt32LE(L.H_FREES) - 1, L.H_FREES), /H_ALLOCS - H_FREES \(objects live\): expected 4 \(objects counted\), found 5/],
        ["more live than handles", ({ pool }) => pool.buf.writeUInt32LE(99, L.H_ALLOCS), /H_ALLOCS - H_FREES \(objects live\): expected <= 16 \(handles\), found 98/],
        ["more swept than freed", ({ pool }) => pool.buf.writeUInt32LE(pool.buf.readUInt32LE(L.H_FREES) + 1, L.H_SWEPT), /H_SWEPT: expected <= H_FREES \d+, found \d+/],
        ["pool id 0", ({ pool }) => pool.buf.writeUInt16LE(0, L.H_POOLID), /header: H_POOLID: expected 1..15, found 0/],
        ["pool id out of range", ({ pool }) => pool.buf.writeUInt16LE(16, L.H_POOLID), /header: H_POOLID: expected 1..15, found 16/],
        ["a row summary's lead", ({ pool }) => {
            // the last row ends in free blocks: say it starts with one too
            const nb = pool.buf.readUInt16LE(L.H_NBLOCKS)
            pool.buf[L.rowTable(nb) + ((nb - 1) >> L.ROW_SHIFT) * L.ROW_ENTRY + L.RS_LEAD] += 1
        }, /row summary of row \d+ \(blocks \d+\.\.\d+\): free blocks at its start: expected \d+, found \d+/],
        ["a row summary's trail", ({ pool }) => {
            const nb = pool.buf.readUInt16LE(L.H_NBLOCKS)
            pool.buf[L.rowTable(nb) + ((nb - 1) >> L.ROW_SHIFT) * L.ROW_ENTRY + L.RS_TRAIL] -= 1
        }, /row summary of row \d+ \(blocks \d+\.\.\d+\): free blocks at its end: expected \d+, found \d+/],
        ["a row summary's inner bound below an inner free run", ({ pool, num, blk }) => {
            // free the number: a one-block hole between objects, inside its row
            const b = blk(num)
            pool.free(num)
            expect(b & 63).toBeGreaterThan(0)
            pool.buf[L.rowTable(pool.buf.readUInt16LE(L.H_NBLOCKS)) + (b >> 6) * L.ROW_ENTRY + L.RS_INNER] = 0
        }, /row summary of row \d+ \(blocks \d+\.\.\d+\): bound on its inner free runs: expected 1\.\.64, found 0/],
        ["hint above a free block", ({ pool }) => pool.buf.writeUInt16LE(pool.buf.readUInt16LE(L.H_HINT) + 1, L.H_HINT), /free block below H_HINT/],
        ["handle cursor past the table", ({ pool }) => pool.buf.writeUInt16LE(17, L.H_HHINT), /^pool corrupt: header: H_HHINT: expected <= 16, found 17$/],
        // the allocation path reads the threshold's low half only: a set high half would go unseen there
        ["threshold's high half set", ({ pool }) => pool.buf.writeUInt16LE(1, L.H_THRESH + 2), /^pool corrupt: header: H_THRESH: expected <= 32768, found 65536$/],
        ["root stack pointer", ({ pool }) => pool.buf.writeUInt16LE(99, L.H_SP), /H_SP \(root stack pointer\): expected <= 32, found 99/],
        ["mark stack pointer while idle", ({ pool }) => pool.buf.writeUInt16LE(1, L.H_MSP), /H_MSP outside MARK: expected 0, found 1/],
        ["MARK while idle", ({ pool, num, blk }) => setCode(pool.buf, blk(num), L.AT_MARK), /: ATB code while no collection runs: expected HEAD, found MARK$/],
        ["tail without head", ({ pool, num, blk }) => setCode(pool.buf, blk(num), L.AT_TAIL), /: ATB code: expected HEAD or FREE \(a TAIL must follow its head\), found TAIL/],
        ["missing tail", ({ pool, bmp, blk }) => setCode(pool.buf, blk(bmp) + 1, L.AT_FREE), /object at block \d+: ATB code of block \d+ \(its tail 1 of 1\): expected TAIL, found FREE/],
        ["bad type", ({ pool, num }) => (pool.buf[pool.offsetOf(num)] = 0), /object at block \d+: type: expected 1..6, found 0/],
        ["number length", ({ pool, num }) => pool.buf.writeUInt16LE(16, pool.offsetOf(num) + L.O_LEN), /O_LEN of a number: expected 8, found 16/],
        ["record kind", ({ pool, rec }) => (pool.buf[pool.offsetOf(rec) + L.O_AUX] = 7), /record kind id: expected 1..1, found 7/],
        ["bitmap stride", ({ pool, bmp }) => pool.buf.writeUInt16LE(9, pool.offsetOf(bmp) + 8 + L.BM_STRIDE), /bitmap stride: expected 2, found 9/],
        ["list count past capacity", ({ pool, list }) => pool.buf.writeUInt32LE(99, pool.offsetOf(list) + 8), /list count: expected <= capacity 2, found 99/],
        ["slot and object disagree", ({ pool, num }) => pool.buf.writeUInt16LE(3, pool.offsetOf(num) + L.O_SLOT), /handle table entry of its slot 3: expected \d+, found \d+/],
        ["generation 0", ({ pool, num }) => pool.buf.writeUInt16LE(0, pool.offsetOf(num) + L.O_GEN), /O_GEN: expected 1..32767, found 0/],
        ["forged reference", ({ pool, list }) => pool.buf.writeUInt32LE(0xfff, pool.offsetOf(list) + 12), /object at block \d+, item 0: reference: expected 0 or a handle with pool id \d+, a slot < 16 and a generation 1..32767, found 4095/],
        ["another pool's reference", ({ pool, list }) => {
            const at = pool.offsetOf(list) + 12
            const h = pool.buf.readUInt32LE(at)
            pool.buf.writeUInt32LE((h & 0x7ffffff) | ((((h >>> L.POOL_SHIFT) % L.MAX_POOL_ID) + 1) << L.POOL_SHIFT), at)
        }, /object at block \d+, item 0: reference: expected 0 or a handle with pool id \d+, a slot < 16 and a generation 1..32767, found \d+/],
        ["a reference above 2^31", ({ pool, list }) => pool.buf.writeUInt32LE((pool.buf.readUInt32LE(pool.offsetOf(list) + 12) | 0x80000000) >>> 0, pool.offsetOf(list) + 12), /item 0: reference: expected 0 or a handle with pool id/],
        ["an item past the count", ({ pool, list }) => {
            pool.pop(list)
            pool.buf.writeUInt32LE(4097, pool.offsetOf(list) + 12 + 4)
        }, /list item 1 past the count 1: expected 0, found 4097/],
        ["root stack above the pointer", ({ pool }) => pool.buf.writeUInt32LE(4097, pool.buf.readUInt16LE(L.H_STACK) + 8), /root stack slot 2: entry above H_SP 0: expected 0, found 4097/],
        ["a named slot without a name", ({ pool, num }) => pool.buf.writeUInt32LE(num, pool.buf.readUInt16LE(L.H_NAMED) + 8), /named root slot 2: a name for a slot in use: expected a name/],
        ["reserved header byte", ({ pool }) => (pool.buf[124] = 1), /reserved byte 124: expected 0, found 1/],
        ["metadata padding", ({ pool }) => {
            const end = pool.buf.readUInt16LE(L.H_MSTACK) + pool.buf.readUInt16LE(L.H_MCAP) * 4
            expect(end).toBeLessThan(pool.stats().meta) // this layout has padding
            pool.buf[end] = 1
        }, /metadata padding: byte \d+: expected 0, found 1/],
        ["a white target of a scanned object during MARK", ({ pool, list, num, blk }) => {
            while (pool.stats().phase !== "mark" || pool.buf.readUInt16LE(L.H_MSP) !== 0) {
                if (pool.collectStep(1)) pool.collectStep(1)
                if (pool.stats().phase === "mark" && pool.buf.readUInt16LE(L.H_MSP) === 0) break
            }
            void list
            setCode(pool.buf, blk(num), L.AT_HEAD) // as if the barrier had been missed
        }, /during MARK, target of reference \d+ \(object at block \d+\) from a scanned object: expected MARK, found HEAD/],
    ]
    for (const [name, damage, msg] of cases) {
        test("reports " + name, () => {
            const p = healthy()
            p.pool.verify()
            damage(p)
            let err: unknown = null
            try {
                p.pool.verify()
            } catch (e) {
                err = e
            }
            expect(err).toBeInstanceOf(CorruptionError)
            expect(err).toBeInstanceOf(PoolError)
            expect((err as Error).name).toBe("CorruptionError")
            expect((err as Error).message).toMatch(msg)
        })
    }
})

describe("verify() stays bounded", () => {
    test("verifyAsync beside a program that changes the pool in every slice finishes", async () => {
        const pool = new Pool({ size: 16384, handles: 1024 })
        for (let i = 0; i < 600; i++) pool.setRoot("r", pool.number(i))
        let stop = false
        let made = 0
        const busy = (async () => {
            // another fiber: an allocation in every slice (a slice in Node is an event-loop turn, as verifyAsync()'s)
            while (!stop) {
                pool.number(1)
                made++
                await new Promise(r => setImmediate(r))
            }
        })()
        const before = made
        await pool.verifyAsync(20)
        const during = made - before
        stop = true
        await busy
        // (20 units a slice over 600 objects: many slices, each after an allocation)
        expect(during).toBeGreaterThan(30)
        await pool.verifyAsync()
    })

    test("on a large busy pool it stops with a PoolError that points to verifyAsync(); a Verifier with more units completes", async () => {
        const pool = new Pool({ size: 32768, handles: 1200 })
        const keep = pool.list(1000)
        pool.setRoot("keep", keep)
        for (let i = 0; i < 1000; i++) pool.push(keep, pool.number(i))
        expect(() => pool.verify()).toThrow(new RegExp("did not finish within " + VERIFY_MAX_UNITS + " work units \\(half a VM slice holds " + VERIFY_MAX_UNITS + "\\): use await verifyAsync\\(\\)"))
        expect(pool.verifier().run(1e9)).toBe(true)
        await pool.verifyAsync()
    })

    test("the default verify() completes on an 8 KiB pool of 64 objects", () => {
        // (the default handles: 64 at 8 KiB)
        const pool = new Pool({ size: 8192 })
        const K = pool.defineRecord("K", ["a", "b", "c", "d"])
        const keep = pool.list(64)
        pool.setRoot("keep", keep)
        for (let i = 0; i < 63; i++) pool.push(keep, pool.bitmap(8, 8, 8))
        pool.verify()
        void K
    })
})

describe("verify() beside other fibers", () => {
    const tick = () => new Promise<void>(r => setImmediate(r))

    test("a phantom view's dry sweep: verify() passes at every slice, and isLive() of a phantom never changes", async () => {
        const pool = new Pool({ size: 8192, budget: 16, handles: 256 })
        const K = pool.defineRecord("K", ["next"])
        // phantoms low in the pool referencing phantoms above them, and live objects between
        const keep = pool.list(40)
        pool.setRoot("keep", keep)
        const ghosts: number[] = []
        let prev = 0
        for (let i = 0; i < 40; i++) {
            const g = pool.record(K)
            ghosts.push(g)
            if (prev) pool.setField(prev, "next", g)
            prev = g
            pool.push(keep, pool.number(i))
        }
        let done = false
        const view = pool.phantoms(false, () => {}).then(r => {
            done = true
            return r
        })
        const phases = new Set<string>()
        while (!done) {
            phases.add(pool.stats().phase)
            // (the whole check, whatever it costs: Node has no slice)
            expect(pool.verifier().run(1e9)).toBe(true)
            for (const g of ghosts) expect(pool.isLive(g)).toBe(true)
            await tick()
        }
        expect(phases.has("sweep")).toBe(true) // the dry sweep was seen
        expect((await view).objects).toBe(40)
        expect(pool.verifier().run(1e9)).toBe(true)
    })

    test("verifyAsync() checks the root names and record kinds of each slice: a root set or a kind defined meanwhile is no corruption", async () => {
        const pool = new Pool({ size: 16384, handles: 1024 })
        const keep = pool.list(500)
        pool.setRoot("keep", keep)
        for (let i = 0; i < 500; i++) pool.push(keep, pool.number(i))
        const n = pool.number(1)
        let stop = false
        let k = 0
        const other = (async () => {
            // another fiber: names a root (no allocation, so the check goes on) in a slice of its own
            await tick()
            while (!stop) {
                pool.setRoot("r" + (k % 4), n)
                if (k % 4 === 3) for (let j = 0; j < 4; j++) pool.delRoot("r" + j)
                k++
                await tick()
            }
        })()
        await pool.verifyAsync(50)
        stop = true
        await other
        expect(k).toBeGreaterThan(2)
    })
})
