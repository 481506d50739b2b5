/**
 * Differential cases for the platform seam: the same code runs on the DeviceScript
 * VM (test/vm/seam.vm.ts) and in Node with host/platform.ts installed
 * (test/device/seam.test.ts), and both must print identical lines.
 *
 * Rules, so that one file compiles under DeviceScript and runs in Node:
 * - no imports; only the global Buffer and its getAt/setAt/fillAt/blitAt/[i];
 * - getAt/setAt formats are string literals (DeviceScript compiles them to
 *   opcodes), hence the if-chains over `fmt`;
 * - no `==`, no padStart, no toString(radix), at most 7 `${}` per template;
 * - numbers are printed by `show`: integers as decimal, anything else as the
 *   hex of its f64 bytes, because the VM's number-to-string differs from
 *   Node's (`1/3` prints `0.333333`, `1e21` prints all its digits);
 * - each group stays far below the VM's 128k-ops-per-slice limit;
 *   seam.vm.ts sleeps between groups.
 *
 * Deliberately NOT here (they cannot agree, see host/platform.ts):
 * - getAt/setAt at offsets -size..-1: the VM's bounds check wraps around and
 *   reads/writes the bytes just before the buffer (a write corrupts its heap);
 * - blitAt within one buffer to a higher offset with overlap (VM: memcpy, undefined;
 *   the shim throws);
 * - `buf[1.5]` (VM truncates to buf[1], Node gives undefined), `buf[16] = x`
 *   (VM throws RangeError, Node ignores it), `buf[i] = Infinity` (VM stores 1,
 *   Node 0): native indexing, not shimmable.
 */

type Log = (line: string) => void

/** 1e-300 * k, out of the compiler's constant folding. */
function tiny(k: number): number {
    return 1e-300 * k
}

const VALUES = [
    0, 1, 100, 127, 128, 200, 255, 256, 300, -1, -100, -128, -129, -200, 32767, 32768, 65535, 65536,
    70000, -32768, -32769, 2147483647, 2147483648, 4294967295, 4294967301, -2147483648, -2147483649,
    1e10, -1e10, 1.4, 1.5, 1.9, -1.5, -1.7, 2.5, 0.5, -0.5, 0.49, 255.4, 255.5, 65534.6, -128.5,
    -128.6, 2147483646.6, 2147483647.4, -2147483648.4, -2147483648.6, 4294967294.6, 4294967295.4,
    0.1, 1 / 3, 3.4e38, 3.5e38, 1e39, 1e-40, 1e-45, NaN, Infinity, -Infinity, -0,
    // subnormal doubles (the VM has none: they become 0), computed at run time because
    // a subnormal literal, even a constant-folded one, fails the VM's bytecode verification
    tiny(1e-10), tiny(-1e-10), tiny(1e-23),
]

const OFFSETS = [
    0, 1, 3, 7, 8, 9, 12, 13, 14, 15, 16, 17, 100, -9, -20, -100, 1.5, 1.9, -0.5, NaN, Infinity, -Infinity,
    4294967296, 4294967297,
]

/** An exact, platform-independent rendering of a number (or undefined). */
function show(v: number): string {
    if (v === undefined) return "undefined"
    if (isNaN(v)) return "NaN"
    if (v === Infinity) return "Inf"
    if (v === -Infinity) return "-Inf"
    if (v === 0) return 1 / v < 0 ? "-0" : "0"
    if (Math.floor(v) === v && Math.abs(v) <= 8589934592) return `${v}`
    const b = Buffer.alloc(8)
    b.setAt(0, "f64", v)
    return `f64:${b.toString("hex")}`
}

/** An input value: the VM has no -0 and no subnormal doubles (both are 0), label them 0. */
function showIn(v: number): string {
    return Math.abs(v) < 2.2250738585072014e-308 ? "0" : show(v)
}

function errText(e: any): string {
    return `${(e as Error).name}: ${(e as Error).message}`
}

/** 16 bytes of a fixed pattern: every byte differs, half have the top bit set. */
function pattern(): Buffer {
    const b = Buffer.alloc(16)
    for (let i = 0; i < 16; i++) b[i] = (i * 37 + 11) & 0xff
    return b
}

function getAny(b: Buffer, fmt: string, off: number): number {
    if (fmt === "u8") return b.getAt(off, "u8")
    if (fmt === "u16") return b.getAt(off, "u16")
    if (fmt === "u32") return b.getAt(off, "u32")
    if (fmt === "i8") return b.getAt(off, "i8")
    if (fmt === "i16") return b.getAt(off, "i16")
    if (fmt === "i32") return b.getAt(off, "i32")
    if (fmt === "f32") return b.getAt(off, "f32")
    return b.getAt(off, "f64")
}

function setAny(b: Buffer, fmt: string, off: number, v: number) {
    if (fmt === "u8") b.setAt(off, "u8", v)
    else if (fmt === "u16") b.setAt(off, "u16", v)
    else if (fmt === "u32") b.setAt(off, "u32", v)
    else if (fmt === "i8") b.setAt(off, "i8", v)
    else if (fmt === "i16") b.setAt(off, "i16", v)
    else if (fmt === "i32") b.setAt(off, "i32", v)
    else if (fmt === "f32") b.setAt(off, "f32", v)
    else b.setAt(off, "f64", v)
}

/** setAt of every value at an unaligned offset, then the bytes and getAt of the same spot. */
function setGetGroup(fmt: string): (log: Log) => void {
    return (log: Log) => {
        for (const v of VALUES) {
            const b = Buffer.alloc(16)
            setAny(b, fmt, 3, v)
            log(`set ${fmt} ${showIn(v)} ${b.toString("hex")} get ${show(getAny(b, fmt, 3))}`)
        }
    }
}

/** getAt at in-range, boundary, past-the-end, far negative and fractional offsets. */
function getOffsetsGroup(fmt: string): (log: Log) => void {
    return (log: Log) => {
        const b = pattern()
        for (const off of OFFSETS) log(`get ${fmt} @${show(off)} ${show(getAny(b, fmt, off))}`)
    }
}

/** setAt past the end throws RangeError and leaves the buffer alone. */
function setRangeGroup(log: Log) {
    const fmts = ["u8", "u16", "u32", "i8", "i16", "i32", "f32", "f64"]
    const offs = [12, 13, 14, 15, 16, 17, 1000, -9, -100, 4294967296 + 15]
    for (const fmt of fmts) {
        for (const off of offs) {
            const b = Buffer.alloc(16)
            let r = "ok"
            try {
                setAny(b, fmt, off, 0x41)
            } catch (e) {
                r = errText(e)
            }
            log(`setr ${fmt} @${show(off)} ${r} ${b.toString("hex")}`)
        }
    }
}

/** NaN payloads and signs (the VM keeps one canonical NaN), -0 and subnormals (VM: 0). */
function specialGroup(log: Log) {
    const b = Buffer.alloc(16)
    b.setAt(0, "u32", 0xffc00000) // negative quiet NaN as f32
    b.setAt(4, "u32", 0x7fc00001) // NaN with payload as f32
    b.setAt(8, "u32", 0)
    b.setAt(12, "u32", 0xfff80000) // negative quiet NaN as f64 (high word)
    log(`nan src ${b.toString("hex")}`)
    const n1 = b.getAt(0, "f32")
    const n2 = b.getAt(4, "f32")
    const n3 = b.getAt(8, "f64")
    log(`nan read ${show(n1)} ${show(n2)} ${show(n3)}`)
    const c = Buffer.alloc(16)
    c.setAt(0, "f32", n1)
    c.setAt(4, "f32", n2)
    c.setAt(8, "f64", n3)
    log(`nan rt ${c.toString("hex")}`)
    c.setAt(0, "f64", n1)
    c.setAt(8, "f64", n2)
    log(`nan f32->f64 ${c.toString("hex")}`)
    c.setAt(0, "u8", n3)
    c.setAt(1, "i8", n3)
    c.setAt(2, "u16", n3)
    c.setAt(4, "i16", n3)
    c.setAt(6, "u32", n3)
    c.setAt(10, "i32", n3)
    log(`nan ints ${c.toString("hex")}`)
    const z = Buffer.alloc(16)
    z.setAt(0, "u32", 0x80000000) // -0 as f32
    z.setAt(8, "u32", 1) // smallest subnormal as f64 (low word)
    z.setAt(12, "u32", 0x80000000) // ... with the sign bit: -5e-324
    const z1 = z.getAt(0, "f32")
    const z2 = z.getAt(8, "f64")
    z.setAt(4, "u32", 0x80000001) // -1.4e-45 as f32: a subnormal float, a normal double
    log(`zero read ${show(z1)} ${show(z2)} ${show(z.getAt(4, "f32"))}`)
    z.setAt(0, "f64", z1)
    z.setAt(8, "f32", z2)
    log(`zero rt ${z.toString("hex")}`)
}

function fillGroup(log: Log) {
    const cases = [
        [2, 4, 0xab],
        [0, 3, -1],
        [14, 10, 257],
        [15, 1, 300.5],
        [0, 16, 1.7],
        [4, 2, -1.7],
        [6, 2, NaN],
        [8, 2, Infinity],
        [10, 2, 1e10],
        [12, 2, 4294967301],
        [3, 0, 9],
        [16, 2, 5],
        [17, 2, 5],
        [-1, 2, 5],
        [-100, 200, 5],
        [2, -1, 0x77],
        [1.9, 2.9, 0x66],
        [NaN, 1, 0x55],
        [Infinity, 2, 0x44],
        [-Infinity, 2, 0x33],
        [5, Infinity, 0x22],
        [9, 3, -Infinity],
    ]
    for (const c of cases) {
        const b = pattern()
        let r = "ok"
        try {
            b.fillAt(c[0], c[1], c[2])
        } catch (e) {
            r = errText(e)
        }
        log(`fill ${show(c[0])} ${show(c[1])} ${show(c[2])} ${r} ${b.toString("hex")}`)
    }
}

function blitGroup(log: Log) {
    const src = Buffer.alloc(6)
    for (let i = 0; i < 6; i++) src[i] = 0xa0 + i
    const cases = [
        [0, 0, 6],
        [3, 1, 4],
        [12, 0, 6],
        [15, 0, 6],
        [16, 0, 6],
        [2, 5, 6],
        [2, 6, 6],
        [2, 7, 1],
        [2, 0, 0],
        [2, 0, -1],
        [-1, 0, 2],
        [2, -1, 2],
        [1.9, 1.9, 2.9],
        [Infinity, 0, 3],
        [2, Infinity, 3],
        [2, 0, Infinity],
    ]
    for (const c of cases) {
        const b = pattern()
        let r = "ok"
        try {
            b.blitAt(c[0], src, c[1], c[2])
        } catch (e) {
            r = errText(e)
        }
        log(`blit buf ${show(c[0])} ${show(c[1])} ${show(c[2])} ${r} ${b.toString("hex")}`)
    }
    const strs = ["hello", "h\u00e9llo\u20ac", ""]
    for (const s of strs) {
        for (const c of [[0, 0, 100], [13, 0, 100], [1, 2, 3], [1, 20, 3]]) {
            const b = pattern()
            let r = "ok"
            try {
                b.blitAt(c[0], s, c[1], c[2])
            } catch (e) {
                r = errText(e)
            }
            log(`blit str${s.length} ${show(c[0])} ${show(c[1])} ${show(c[2])} ${r} ${b.toString("hex")}`)
        }
    }
    // within one buffer: without overlap, and overlapping towards a lower offset
    // (towards a higher one the VM's memcpy result is undefined, the shim throws)
    const b = pattern()
    b.blitAt(8, b, 0, 8)
    log(`blit self apart ${b.toString("hex")}`)
    const d = pattern()
    d.blitAt(0, d, 2, 8)
    log(`blit self back ${d.toString("hex")}`)
    const e = pattern()
    e.blitAt(1, e, 2, 14)
    log(`blit self back1 ${e.toString("hex")}`)
}

function indexGroup(log: Log) {
    const b = pattern()
    log(`idx read ${show(b[0])} ${show(b[15])} ${show(b[16])} ${show(b[17])} ${show(b[100])} ${show(b[-1])}`)
    const vals = [257, -1, 1.7, NaN, 255.9, -0.5, 300.5, 1e10, -129, 4294967301]
    for (const v of vals) {
        const c = Buffer.alloc(4)
        c[2] = v
        log(`idx write ${show(v)} ${c.toString("hex")} ${show(c[2])}`)
    }
}

/** The cases in groups; a runner on the VM must suspend between groups. */
export const seamGroups: ((log: Log) => void)[] = [
    setGetGroup("u8"),
    setGetGroup("u16"),
    setGetGroup("u32"),
    setGetGroup("i8"),
    setGetGroup("i16"),
    setGetGroup("i32"),
    setGetGroup("f32"),
    setGetGroup("f64"),
    getOffsetsGroup("u8"),
    getOffsetsGroup("u16"),
    getOffsetsGroup("u32"),
    getOffsetsGroup("i8"),
    getOffsetsGroup("i16"),
    getOffsetsGroup("i32"),
    getOffsetsGroup("f32"),
    getOffsetsGroup("f64"),
    setRangeGroup,
    specialGroup,
    fillGroup,
    blitGroup,
    indexGroup,
]

/** Runs every case synchronously (Node; on the VM use seamGroups with a sleep between). */
export function runSeamCases(log: Log) {
    for (const g of seamGroups) g(log)
}

/** The seam's clock and suspensions, passed in (this file imports nothing). */
export interface SliceSeam {
    now(): number
    nextSlice(): Promise<void>
    drainSlice(ms: number): Promise<void>
}

/**
 * drainSlice is a positive sleep: time passes (the clock moves by about `ms`)
 * and other fibers' due timers run during it: a timer due in 1 ms has run
 * within at most 40 sleeps of 5 ms (not always within the first: on a loaded
 * machine the VM has woken the sleeper first, its clock having passed both
 * deadlines at once); a short one lets no far timer run. Printed as booleans: the clocks differ between Node and the VM, what
 * they allow does not.
 */
export async function runSliceCases(log: Log, seam: SliceSeam) {
    let fired = 0
    setTimeout(() => {
        fired++
    }, 1)
    const t0 = seam.now()
    await seam.drainSlice(5)
    // (at least 1 ms: Node's timers run against the loop's cached clock, which a busy machine leaves behind)
    log("slice: time passed during drainSlice(5): " + (seam.now() - t0 >= 1))
    for (let i = 1; i < 40 && fired === 0; i++) await seam.drainSlice(5)
    log("slice: a 1 ms timer ran during drainSlice(5) sleeps: " + (fired === 1))
    let late = 0
    setTimeout(() => {
        late++
    }, 2000)
    await seam.nextSlice()
    await seam.drainSlice(0)
    log("slice: a 2 s timer had not run after nextSlice() and drainSlice(0): " + (late === 0))
}
