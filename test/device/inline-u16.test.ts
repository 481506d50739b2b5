/**
 * host/inline-u16.mjs: the Node builds' rewrite of the device code's u16
 * getAt/setAt into byte operations. What it rewrites and leaves, that the
 * rewritten code computes what the shim computes, that poolgc's sources come
 * out whole, and that the tests themselves run the rewritten code.
 */
import { readFileSync, readdirSync } from "node:fs"
import { transformSync } from "esbuild"
import { describe, expect, test } from "vitest"
import { inlineU16, isPure } from "../../host/inline-u16.mjs"
import { Pool } from "../../src/index"

describe("what it rewrites", () => {
    test("a read, a store, a read inside a store's value", () => {
        const r = inlineU16(
            [
                'const a = buf.getAt(H_FREE, "u16") + 1',
                'this.buf.setAt(H_SCACHE, "u16", slot + 1)',
                'buf.setAt((e << 4) + O_GEN, "u16", buf.getAt(off + O_GEN, "u16") | SLOT_FREE)',
                'if (x) buf.setAt(p, "u16", f(q))',
                'else buf.setAt(p, "u16", 0)',
                'return buf.getAt(p, "u16")',
            ].join("\n"),
        )
        expect(r.code.split("\n")).toEqual([
            "const a = (buf[H_FREE] | (buf[(H_FREE) + 1] << 8)) + 1",
            "this.buf[(H_SCACHE) + 1] = (this.buf[H_SCACHE] = slot + 1) >> 8",
            "buf[((e << 4) + O_GEN) + 1] = (buf[(e << 4) + O_GEN] = (buf[off + O_GEN] | (buf[(off + O_GEN) + 1] << 8)) | SLOT_FREE) >> 8",
            "if (x) buf[(p) + 1] = (buf[p] = f(q)) >> 8",
            "else buf[(p) + 1] = (buf[p] = 0) >> 8",
            "return (buf[p] | (buf[(p) + 1] << 8))",
        ])
        expect(r).toMatchObject({ rewritten: 7, left: 0 })
    })

    test("leaves offsets it would evaluate twice, other formats, chains and shapes that would parse differently", () => {
        const src = [
            'const a = buf.getAt(this.head(h) + O_LEN, "u16")', // a call in the offset
            'const b = buf.getAt(t[i], "u16")', // an index
            'const c = buf.getAt(i++, "u16")', // an increment
            'const d = pool.buf.getAt(0, "u16")', // a longer receiver chain
            'const e = buf.getAt(0, "u32") + buf.getAt(0, fmt)', // not the u16 literal
            'ok = a && buf.setAt(0, "u16", 1)', // a store inside an expression
            "x = y",
            'buf.getAt(0, "u16") > 2 ? f() : g()', // a read opening a statement
        ].join("\n")
        const r = inlineU16(src)
        expect(r.code).toBe(src)
        expect(r).toMatchObject({ rewritten: 0, left: 5 }) // the chain and the other formats are not counted: not u16 calls of a receiver
    })

    test("pure offsets", () => {
        for (const e of ["H_FREE", "off + O_GEN", "(e << 4) + O_GEN", "this.htab + (slot << 1)", "x & ~3", "12"]) expect(isPure(e), e).toBe(true)
        for (const e of ["f(x)", "t[i]", "i++", "a = b", "x ? 1 : 2", "(a", "a)", '"s"', "a / b"]) expect(isPure(e), e).toBe(false)
    })
})

describe("same results as the shim", () => {
    test("random in-range offsets and values", () => {
        const body = 'buf.setAt(o + 1, "u16", v)\nbuf.setAt(o + 3, "u16", buf.getAt(o + 1, "u16") ^ w)\nreturn buf.getAt(o, "u16") + buf.getAt(o + 3, "u16") * 65536'
        const rewritten = inlineU16(body)
        expect(rewritten.rewritten).toBe(5)
        expect(rewritten.code).not.toContain("u16")
        const shim = new Function("buf", "o", "v", "w", body)
        const bytes = new Function("buf", "o", "v", "w", rewritten.code)
        let seed = 12345
        const rand = (n: number) => {
            seed = (seed * 1103515245 + 12345) >>> 0
            return seed % n
        }
        for (let k = 0; k < 2000; k++) {
            const init = Buffer.alloc(64)
            for (let i = 0; i < 64; i++) init[i] = rand(256)
            const a = Buffer.from(init)
            const b = Buffer.from(init)
            const o = rand(59)
            const v = rand(0x10000)
            const w = rand(0x10000)
            expect(bytes(b, o, v, w)).toBe(shim(a, o, v, w))
            expect(b.equals(a)).toBe(true)
        }
    })
})

describe("poolgc's sources", () => {
    const dir = "src/poolgc"
    for (const f of readdirSync(dir).filter(f => f.endsWith(".ts"))) {
        test(`${f} still compiles after the rewrite`, () => {
            const src = readFileSync(`${dir}/${f}`, "utf8")
            const r = inlineU16(src)
            expect(() => transformSync(r.code, { loader: "ts" })).not.toThrow()
            if (/"u16"/.test(src) && /\.(get|set)At\(/.test(src)) expect(r.rewritten).toBeGreaterThan(0)
        })
    }

    test("the allocator's u16 fields are all rewritten (none left through the shim)", () => {
        const r = inlineU16(readFileSync(`${dir}/allocator.ts`, "utf8"))
        expect(r.left).toBe(0)
        expect(r.code).not.toMatch(/\.(get|set)At\([^;\n]*"u16"/)
    })

    test("the tests run the rewritten code: the hot paths of the Pool under test hold no u16 getAt/setAt", () => {
        const proto = Pool.prototype as any
        for (const m of ["alloc", "release", "head", "takeSlot"]) {
            const text = proto[m].toString()
            expect(text.length, m).toBeGreaterThan(50)
            expect(text, m).not.toMatch(/\.(get|set)At\([^;\n]*"u16"/)
        }
    })
})
