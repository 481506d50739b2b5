/**
 * A check of poolgc's side of `devs bundle`, NOT of DeviceScript's firmware.
 *
 * `devs bundle --board <id>` merges the runtime image (downloaded from
 * DeviceScript's releases, which CI cannot reach) with the board file's
 * device configuration and the compiled program. Here a stand-in image of
 * the right format (UF2 for RP2040, BIN for ESP32; test/support/firmware.ts)
 * sits in the CLI's cache, fresh, under the name the CLI looks for, in a copy
 * of the project; the bundle runs offline; and the output is decoded: the
 * device configuration at the architecture's DCFG offset (id, name, product
 * id, pins, LED, log pin, exactly the board file's), and the flash storage at
 * its offset (the board's size, the program in it whole, byte for byte the
 * compiled demo/main.ts). What a real runtime image holds, and whether it
 * boots, this cannot tell.
 */
import { spawnSync } from "node:child_process"
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { withSimLock } from "../../sim/lock.mjs"
import { loadBoards } from "../../tools/boards.mjs"
import { RUNTIME_IMAGES } from "../../tools/flash.mjs"
import {
    cliBoardTable,
    decodeDcfg,
    decodeFstor,
    MARK,
    parseOffset,
    PROGRAM_HEADER,
    readImage,
    standInImage,
} from "../support/firmware"

const ROOT = join(__dirname, "../..")
const CLI = join(ROOT, "node_modules/@devicescript/cli/devicescript")
const boards = loadBoards()
const table = cliBoardTable()

/** The device configuration the CLI should derive from a board file: its keys flattened, `$` and `#` keys left out. */
function expectedDcfg(id: string, json: any) {
    const out: Record<string, unknown> = { id }
    const walk = (o: any, prefix: string) => {
        for (const [k, v] of Object.entries(o)) {
            if (k.startsWith("$") || k.startsWith("#")) continue
            if (v && typeof v === "object") walk(v, `${prefix}${k}.`)
            else out[prefix + k] = v
        }
    }
    walk(json, "")
    out.productId = parseInt(json.productId, 16)
    return out
}

let dir = ""
beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "poolgc-bundle-"))
    for (const f of ["package.json", "devsconfig.json", "boards", "src", "demo"]) cpSync(join(ROOT, f), join(dir, f), { recursive: true })
    symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"))
})
afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true })
})

describe("devs bundle with a stand-in runtime image: poolgc's side only (board config and program), not the real firmware", () => {
    test("the stand-ins are named and placed as the CLI's architecture table says (and tools/flash.mjs knows the same images)", () => {
        for (const b of boards) {
            const arch = table.archs[b.json.archId]
            expect(arch, b.json.archId).toBeDefined()
            expect(RUNTIME_IMAGES[b.json.archId as keyof typeof RUNTIME_IMAGES]).toBe(arch.bareUrl)
            // our boards have no image of their own: the CLI takes the chip's and patches the board file in
            expect(table.boards[b.id]).toBeUndefined()
        }
    })

    for (const b of boards) {
        test(`${b.id}: bundles offline; the image carries the board file's configuration and the whole program in the board's flash storage`, async () => {
            const arch = table.archs[b.json.archId]
            const cached = join(dir, ".devicescript/cache", arch.bareUrl.replace(/.*\//, ""))
            mkdirSync(join(dir, ".devicescript/cache"), { recursive: true })
            writeFileSync(cached, standInImage(arch)) // fresh: the CLI uses a cached image under 24 h old
            const out = join(dir, `${b.id}.img`)
            // devs bundle serves 127.0.0.1:8081-8083 while it runs the program: the simulator lock keeps runSim away
            const r = await withSimLock(async () =>
                spawnSync(process.execPath, [CLI, "--no-colors", "bundle", "demo/main.ts", "--board", b.id, "--flash-file", out], {
                    cwd: dir,
                    encoding: "utf8",
                    timeout: 240000,
                })
            )
            const log = r.stdout + r.stderr
            expect(r.status, log).toBe(0)
            expect(log).toContain(`using cached .devicescript/cache/${arch.bareUrl.replace(/.*\//, "")}`)
            expect(log).not.toMatch(/^fetch /m)

            const flash = readImage(readFileSync(out), arch)
            expect(flash.kind).toBe(b.json.archId.startsWith("rp2040") ? "uf2" : "bin")
            // the stand-in is what was bundled: its mark at the start of flash
            const base = flash.kind === "uf2" ? 0x10000000 : parseOffset(arch.binFlashOffset) + 16
            expect(flash.read(base, MARK.length)?.toString()).toBe(MARK)

            const dcfg = decodeDcfg(flash, parseOffset(arch.dcfgOffset))
            expect(dcfg).toEqual(expectedDcfg(b.id, b.json))
            expect(dcfg.id).toBe(b.id)
            expect(dcfg.archId).toBe(b.json.archId)
            if (b.json.led) expect(dcfg["led.pin"]).toBe(b.json.led.pin)
            else expect(Object.keys(dcfg).filter(k => k.startsWith("led."))).toEqual([])
            expect(Object.keys(dcfg).filter(k => k.startsWith("pins.")).length).toBe(Object.keys(b.json.pins).length)

            const fstor = decodeFstor(flash, parseOffset(arch.fstorOffset))
            expect(fstor.pageSize).toBe(arch.flashPageSize)
            expect(fstor.totalPages).toBe(arch.fstorPages)
            const prog = fstor.entries["*prog"]
            expect(prog, JSON.stringify(fstor.entries)).toBeDefined()
            const compiled = readFileSync(join(dir, ".devicescript/bin/bytecode.devs"))
            expect(prog.size).toBe(PROGRAM_HEADER + compiled.length)
            // in the data pages, after both header copies, and inside the storage: the program fits
            expect(prog.offset).toBeGreaterThanOrEqual(2 * fstor.headerPages * fstor.pageSize)
            expect(prog.offset + prog.size).toBeLessThanOrEqual(fstor.totalPages * fstor.pageSize)
            const stored = fstor.bytes.subarray(prog.offset, prog.offset + prog.size)
            expect(stored.readUInt32LE(4)).toBe(compiled.length)
            expect(Buffer.compare(stored.subarray(PROGRAM_HEADER), compiled)).toBe(0)
            expect(compiled.subarray(0, 4).toString("latin1")).toBe("DevS")
            expect(compiled.includes(Buffer.from("poolgc demo done"))).toBe(true)
            // the patched image the CLI keeps beside the stand-in, for this board
            expect(existsSync(cached.replace(/-[a-z]\w+(-0x[0-9a-f]+)?(\.\w+)$/i, `-${b.id}$1$2`))).toBe(true)
        }, 300000)
    }
})
