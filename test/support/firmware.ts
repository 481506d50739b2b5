/**
 * What the bundle check (test/boards/bundle.test.ts) needs to put a stand-in runtime
 * image where `devs bundle` looks for one, and to read back what the CLI
 * wrote into it: the CLI's own architecture table, UF2 and BIN images, and
 * DeviceScript's device configuration (DCFG) format.
 *
 * The stand-in is NOT DeviceScript's runtime: a few marked bytes in the
 * image format of the chip, with nothing at the offsets where the CLI puts
 * the device configuration and the flash storage. What the check proves is
 * poolgc's side: the board files and the program as the CLI bundles them.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"

export const CLI_BUNDLE = join(__dirname, "../../node_modules/@devicescript/cli/built/devicescript-cli.cjs")

export interface ArchConfig {
    id: string
    bareUrl: string
    dcfgOffset: string | number
    fstorOffset: string | number
    fstorPages: number
    flashPageSize: number
    binFlashOffset?: string | number
    uf2Align?: number
}

const num = (v: string | number | undefined) => (v === undefined ? 0 : typeof v === "number" ? v : parseInt(v, 16))

/** The CLI's built-in board and architecture table (`boards_default` in its bundle), read as it ships. */
export function cliBoardTable(file = CLI_BUNDLE): { archs: Record<string, ArchConfig>; boards: Record<string, any> } {
    const s = readFileSync(file, "utf8")
    const at = s.indexOf("var boards_default = {")
    if (at < 0) throw new Error(`${file}: no boards_default table (another CLI version?)`)
    const start = s.indexOf("{", at)
    let depth = 0
    let end = start
    for (; end < s.length; end++) {
        if (s[end] === "{") depth++
        else if (s[end] === "}" && --depth === 0) break
    }
    // a plain object literal of strings, numbers and nested objects
    return Function(`return ${s.slice(start, end + 1)}`)()
}

export const MARK = "poolgc stand-in, not a DeviceScript runtime"
const UF2_MAGIC0 = 0x0a324655
const UF2_MAGIC1 = 0x9e5d5157
const UF2_MAGIC_END = 0x0ab16f30
const UF2_FAMILY_RP2040 = 0xe48bff56
const RP2040_FLASH = 0x10000000

/** A stand-in image of the arch's format: UF2 (RP2040) or BIN (ESP32), the mark at the image's start. */
export function standInImage(arch: ArchConfig): Buffer {
    const mark = Buffer.from(MARK)
    if (arch.id.startsWith("rp2040")) {
        const blocks = 4
        const out = Buffer.alloc(512 * blocks)
        for (let i = 0; i < blocks; i++) {
            const b = out.subarray(512 * i, 512 * (i + 1))
            b.writeUInt32LE(UF2_MAGIC0, 0)
            b.writeUInt32LE(UF2_MAGIC1, 4)
            b.writeUInt32LE(0x2000, 8) // family id present
            b.writeUInt32LE(RP2040_FLASH + 256 * i, 12)
            b.writeUInt32LE(256, 16)
            b.writeUInt32LE(i, 20)
            b.writeUInt32LE(blocks, 24)
            b.writeUInt32LE(UF2_FAMILY_RP2040, 28)
            b.fill(0xff, 32, 32 + 256)
            mark.copy(b, 32)
            b.writeUInt32LE(UF2_MAGIC_END, 508)
        }
        return out
    }
    const out = Buffer.alloc(0x4000, 0xff)
    out[0] = 0xe9 // an ESP image header's magic, as a real bootloader starts
    mark.copy(out, 16)
    return out
}

/** Reads flash addresses of a UF2 or BIN image; absent bytes are undefined. */
export interface Flash {
    kind: "uf2" | "bin"
    read(addr: number, length: number): Buffer | undefined
    /** The highest address the image writes, exclusive. */
    end: number
}

export function readImage(buf: Buffer, arch: ArchConfig): Flash {
    if (buf.length >= 512 && buf.readUInt32LE(0) === UF2_MAGIC0) {
        const pages = new Map<number, Buffer>()
        let end = 0
        for (let off = 0; off + 512 <= buf.length; off += 512) {
            const b = buf.subarray(off, off + 512)
            if (b.readUInt32LE(0) !== UF2_MAGIC0 || b.readUInt32LE(4) !== UF2_MAGIC1 || b.readUInt32LE(508) !== UF2_MAGIC_END)
                throw new Error(`UF2 block at ${off}: bad magic`)
            const addr = b.readUInt32LE(12)
            const size = b.readUInt32LE(16)
            for (let i = 0; i < size; i++) pages.set(addr + i, b.subarray(32 + i, 33 + i))
            end = Math.max(end, addr + size)
        }
        return {
            kind: "uf2",
            end,
            read(addr, length) {
                const out = Buffer.alloc(length)
                for (let i = 0; i < length; i++) {
                    const p = pages.get(addr + i)
                    if (!p) return undefined
                    out[i] = p[0]
                }
                return out
            },
        }
    }
    const shift = num(arch.binFlashOffset)
    return {
        kind: "bin",
        end: shift + buf.length,
        read(addr, length) {
            const off = addr - shift
            if (off < 0 || off + length > buf.length) return undefined
            return Buffer.from(buf.subarray(off, off + length))
        },
    }
}

export const DCFG_MAGIC0 = 0x47464344
export const DCFG_MAGIC1 = 0xcab49b0a
const DCFG_HEADER_SIZE = 24 + 2 * 32
const DCFG_ENTRY_SIZE = 24

/** Decodes a DCFG block (DeviceScript's compiler/src/dcfg.ts format): key -> number | string | Buffer. */
export function decodeDcfg(flash: Flash, addr: number): Record<string, number | string | Buffer> {
    const head = flash.read(addr, DCFG_HEADER_SIZE)
    if (!head) throw new Error(`no data at the device configuration's offset 0x${addr.toString(16)}`)
    if (head.readUInt32LE(0) !== DCFG_MAGIC0 || head.readUInt32LE(4) !== DCFG_MAGIC1)
        throw new Error(`no device configuration (DCFG magic) at 0x${addr.toString(16)}`)
    const total = head.readUInt32LE(8)
    const n = head.readUInt16LE(12)
    const buf = flash.read(addr, total)
    if (!buf) throw new Error(`the device configuration at 0x${addr.toString(16)} is cut short (${total} bytes declared)`)
    const out: Record<string, number | string | Buffer> = {}
    for (let i = 0; i < n; i++) {
        const e = DCFG_HEADER_SIZE + i * DCFG_ENTRY_SIZE
        const key = buf.subarray(e, e + 16).toString("latin1").replace(/\0.*$/s, "")
        const typeSize = buf.readUInt16LE(e + 18)
        const type = typeSize & 3
        const size = typeSize >> 2
        const value = buf.readUInt32LE(e + 20)
        if (type === 0) out[key] = value
        else if (type === 1) out[key] = value | 0
        else if (type === 2) out[key] = buf.subarray(value, value + size).toString("utf8")
        else out[key] = Buffer.from(buf.subarray(value, value + size))
    }
    const last = DCFG_HEADER_SIZE + n * DCFG_ENTRY_SIZE
    if (buf.readUInt16LE(last + 16) !== 0xffff) throw new Error("device configuration: no final entry")
    return out
}

export const parseOffset = num

const FSTOR_MAGIC0 = 0x52545346
const FSTOR_MAGIC1 = 0x6becea0a
const FSTOR_HEADER = 24
const FSTOR_ENTRY = 24

export interface FlashStorage {
    generation: number
    pageSize: number
    totalPages: number
    headerPages: number
    /** The live entries (the last copy of each key), by key: offset from the storage's base and size. */
    entries: Record<string, { offset: number; size: number }>
    bytes: Buffer
}

/**
 * Decodes the flash storage (jacdac-c source/jd_fstor.c: two header copies of
 * `headerPages` pages, the one of the higher generation live; entries of a
 * 16-byte key, offset and size until an offset of 0xFFFFFFFF; a later entry of
 * a key replaces an earlier one; `*` keys are large objects in the data pages).
 */
export function decodeFstor(flash: Flash, addr: number): FlashStorage {
    const first = flash.read(addr, FSTOR_HEADER)
    if (!first) throw new Error(`no flash storage at 0x${addr.toString(16)}`)
    const pageSize = first.readUInt32LE(12)
    const totalPages = first.readUInt16LE(16)
    const size = pageSize * totalPages
    const bytes = flash.read(addr, Math.min(size, flash.end - addr))
    if (!bytes) throw new Error(`flash storage at 0x${addr.toString(16)}: cut short`)
    const headerAt = (off: number) =>
        bytes.length >= off + FSTOR_HEADER && bytes.readUInt32LE(off) === FSTOR_MAGIC0 && bytes.readUInt32LE(off + 4) === FSTOR_MAGIC1 ? off : -1
    const headerPages = first.readUInt16LE(18)
    const candidates = [headerAt(0), headerAt(headerPages * pageSize)].filter(o => o >= 0)
    if (!candidates.length) throw new Error(`no flash storage header (FSTR magic) at 0x${addr.toString(16)}`)
    const live = candidates.reduce((a, b) => (bytes.readUInt32LE(b + 8) > bytes.readUInt32LE(a + 8) ? b : a))
    const entries: FlashStorage["entries"] = {}
    for (let e = live + FSTOR_HEADER; e + FSTOR_ENTRY <= bytes.length; e += FSTOR_ENTRY) {
        const offset = bytes.readUInt32LE(e + 16)
        if (offset === 0xffffffff) break
        entries[bytes.subarray(e, e + 16).toString("latin1").replace(/\0.*$/s, "")] = { offset, size: bytes.readUInt32LE(e + 20) }
    }
    return { generation: bytes.readUInt32LE(live + 8), pageSize, totalPages, headerPages, entries, bytes }
}

/** The deployed program's header before its bytecode (jacdac-c devsmgr): 128 bytes, the bytecode's length at byte 4. */
export const PROGRAM_HEADER = 128
