import { spawnSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, test } from "vitest"
import { ArgumentError, HandleError, Pool } from "../../src/index"
import { withSimLock } from "../../sim/lock.mjs"

const ROOT = join(__dirname, "../..")
const FIXTURE = "test/fixtures/typed-handles.ts"

describe("typed handles, checked by the DeviceScript compiler", () => {
    test("every misuse in the fixture is refused, and nothing else", async () => {
        const r = await withSimLock(async () =>
            spawnSync(process.execPath, [join(ROOT, "node_modules/@devicescript/cli/devicescript"), "--no-colors", "build", FIXTURE], { cwd: ROOT, encoding: "utf8", timeout: 240000 })
        )
        const out = (r.stdout || "") + (r.stderr || "")
        if (r.error) throw new Error("the DeviceScript compiler did not run: " + r.error.message)
        const lines = readFileSync(join(ROOT, FIXTURE), "utf8").split("\n")
        const expected = lines.map((l, i) => (/\/\/ type error$/.test(l) ? i + 1 : 0)).filter(n => n > 0)
        const found = [...out.matchAll(/typed-handles\.ts\((\d+),\d+\): error TS\d+/g)].map(m => Number(m[1]))
        // each marked line refused (once or more), no line refused that is not marked
        expect([...new Set(found)].sort((a, b) => a - b)).toEqual(expected)
        expect(expected.length).toBe(12)
        expect(r.status).not.toBe(0)
    })
})

describe("cast()", () => {
    test("types a handle of the kind named, and refuses any other", () => {
        const pool = new Pool({ size: 4096 })
        const b = pool.bitmap(4, 4, 2)
        pool.setRoot("b", b)
        expect(pool.cast(pool.getRoot("b"), "bitmap")).toBe(b)
        expect(() => pool.cast(b, "bytes")).toThrow(HandleError)
        expect(() => pool.cast(b, "bytes")).toThrow(/expected a bytes, handle \d+ is a bitmap/)
        expect(() => pool.cast(b, "image" as any)).toThrow(ArgumentError)
        expect(() => pool.cast(b, "?" as any)).toThrow(/no object kind \?/)
        const s = pool.string("x")
        pool.free(s)
        expect(() => pool.cast(s, "string")).toThrow(/stale handle/)
        expect(() => pool.cast(0, "list")).toThrow(HandleError)
    })
})
