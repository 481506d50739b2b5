/**
 * A host model of a board's log path: what happens to console output between
 * `console.log` on the DeviceScript VM and the bytes a host reads from the
 * board's USB/serial port. Built from the runtime sources (docs/serial-format.md,
 * "Pacing", says where each rule comes from):
 *
 * - `console.log(s)` writes one DMESG line per `\n`-separated part of `s`:
 *   "> " + part, cut to LINE_TEXT_MAX bytes, + "\n".
 * - DMESG lines go into a ring of RING_BYTES bytes, written exactly as
 *   jacdac-c's `jd_dmesg_write` does (a write that does not fit before the end
 *   is split, the rest goes to offset 0, a NUL follows the write). Nothing
 *   marks an overflow: a writer that laps the reader overwrites bytes it has
 *   not sent, silently.
 * - The ring is read (`jd_dmesg_read`: from the reader's offset to the write
 *   offset, or to the end of the ring when the write offset is behind) only
 *   from the board's main loop, and the main loop runs only while every fiber
 *   sleeps a positive time: `sleep(ms)` with ms > 0. A zero sleep (`yield()`)
 *   drains nothing. The model drains nothing while the VM computes (the worst
 *   case) and, during a sleep of `ms`, at most `bytesPerMs * ms` bytes (the
 *   link's rate).
 * - The host connects at `connectAtMs` (null: it is connected and reading
 *   before the first event). On connect the runtime logs "usb: connected" and
 *   starts sending CONNECT_DELAY_MS later, from the reader's offset, which is
 *   0 until then: after a late connect the ring is replayed from offset 0,
 *   mid-line if the ring has wrapped.
 *
 * Time advances only in sleeps. Feed it a run's events (`run(events)`), or call
 * `log`, `sleep`, `yield` and `end` in order; `output()` is what the host read.
 */

/** The DMESG ring on every DeviceScript board here (JD_DMESG_BUFFER_SIZE). */
export const RING_BYTES = 4096
/** Bytes of a DMESG line before its newline: a 160-byte buffer, printed with a size of 159 (one for the NUL). */
export const LINE_TEXT_MAX = 158
/** "usb: connected" to the first byte sent: 128 << 10 microseconds. */
export const CONNECT_DELAY_MS = 131.072

/**
 * The link's rate for a board's `serial` settings (boards/poolgc-boards.json).
 * A UART carries baud / 10 bytes a second (8N1). USB (TinyUSB CDC,
 * USB-Serial-JTAG) is taken at one 64-byte full-speed packet a 1 ms frame: a
 * floor assumed, not read from the sources (a host usually polls faster).
 * @param {{ transport: string, baud: number | null }} serial
 * @returns {{ transport: string, bytesPerMs: number }}
 */
export function linkOf(serial) {
    if (serial.transport === "uart") {
        if (!(serial.baud > 0)) throw new Error(`a uart link needs a baud rate, got ${serial.baud}`)
        return { transport: serial.transport, bytesPerMs: serial.baud / 10000 }
    }
    if (serial.transport === "usb-cdc" || serial.transport === "usb-serial-jtag") return { transport: serial.transport, bytesPerMs: 64 }
    throw new Error(`unknown serial transport "${serial.transport}" (expected uart, usb-cdc or usb-serial-jtag)`)
}

/**
 * @typedef {{ t: "line", text: string } | { t: "sleep", ms: number } | { t: "yield" }} LogEvent
 *   a console.log call (its text), a positive sleep, a zero sleep
 */

export class LogPath {
    /**
     * @param {{ bytesPerMs: number, ringBytes?: number, connectAtMs?: number | null }} options
     */
    constructor({ bytesPerMs, ringBytes = RING_BYTES, connectAtMs = null }) {
        if (!(bytesPerMs > 0)) throw new Error(`bytesPerMs must be positive, got ${bytesPerMs}`)
        if (!(ringBytes >= 256)) throw new Error(`the ring must hold at least 256 bytes (jacdac-c refuses less), got ${ringBytes}`)
        if (connectAtMs !== null && !(connectAtMs >= 0)) throw new Error(`connectAtMs must be null or >= 0, got ${connectAtMs}`)
        this.bytesPerMs = bytesPerMs
        this.ring = Buffer.alloc(ringBytes)
        /** the write offset (codalLogStore.ptr) */
        this.ptr = 0
        /** the reader's offset (jd_usb.c's dmesg_ptr) */
        this.state = 0
        this.clock = 0
        this.connectAtMs = connectAtMs
        /** null: not connected yet; else the time sending starts */
        this.sendFrom = connectAtMs === null ? 0 : null
        /** @type {Buffer[]} */
        this.chunks = []
        /** bytes written into the ring, and the most not yet sent at any time (an overflow when it reaches the ring's size) */
        this.written = 0
        this.sent = 0
        this.maxBacklog = 0
        this.overflows = 0
        /** bytes the program wrote since the last positive sleep, and the most at any time */
        this.sinceSleep = 0
        this.maxSinceSleep = 0
        /** zero sleeps since the last positive sleep, and the most at any time (slices in one main-loop pass, less one) */
        this.yields = 0
        this.maxYields = 0
    }

    /** jd_dmesg_write: the bytes of one line into the ring. @param {Buffer} msg */
    write(msg) {
        const size = this.ring.length
        let off = 0
        let len = msg.length
        const space = size - this.ptr
        if (space < len + 1) {
            msg.copy(this.ring, this.ptr, 0, space)
            off = space
            len -= space
            if (len + 2 > size) len = 1
            this.ptr = 0
        }
        msg.copy(this.ring, this.ptr, off, off + len)
        this.ptr += len
        this.ring[this.ptr] = 0
        this.written += msg.length
        const backlog = this.written - this.sent
        if (backlog >= size && this.sendFrom !== null) this.overflows++
        if (backlog > this.maxBacklog) this.maxBacklog = backlog
    }

    /** A DMESG line without a marker, as the runtime writes its own. @param {string} text */
    dmesg(text) {
        const b = Buffer.from(text, "utf8")
        this.write(Buffer.concat([b.subarray(0, LINE_TEXT_MAX), Buffer.from("\n")]))
    }

    /** console.log(text): one "> " line per part. @param {string} text */
    log(text) {
        for (const part of String(text).split("\n")) {
            const b = Buffer.from("> " + part, "utf8")
            const line = Buffer.concat([b.subarray(0, LINE_TEXT_MAX), Buffer.from("\n")])
            this.sinceSleep += line.length
            if (this.sinceSleep > this.maxSinceSleep) this.maxSinceSleep = this.sinceSleep
            this.write(line)
        }
    }

    /** jd_dmesg_read: up to `space` bytes from the reader's offset. @param {number} space */
    read(space) {
        const size = this.ring.length
        if (this.state >= size) this.state = 0
        let cur = this.ptr
        if (cur < this.state) cur = size
        let n = cur - this.state
        if (n > space) n = space
        if (n <= 0) return null
        const out = Buffer.from(this.ring.subarray(this.state, this.state + n))
        this.state += n
        return out
    }

    /** Main-loop passes for `ms` of sleep: sends up to the link's rate, in 64-byte reads. @param {number} ms */
    drain(ms) {
        const start = this.clock
        this.clock += ms
        if (this.sendFrom === null && this.connectAtMs !== null && this.clock >= this.connectAtMs) {
            this.dmesg("usb: connected")
            this.sendFrom = Math.max(start, this.connectAtMs) + CONNECT_DELAY_MS
        }
        if (this.sendFrom === null || this.clock <= this.sendFrom) return
        let budget = Math.floor((this.clock - Math.max(start, this.sendFrom)) * this.bytesPerMs)
        while (budget > 0) {
            const chunk = this.read(Math.min(64, budget))
            if (!chunk) break
            this.chunks.push(chunk)
            budget -= chunk.length
            this.sent += chunk.length
        }
        // the model's count of unsent bytes follows the reader (which skips what was overwritten)
        const backlog = this.written - this.sent
        if (backlog > this.ring.length) this.sent = this.written - this.ring.length
    }

    /** A positive sleep: the main loop runs for `ms`. @param {number} ms */
    sleep(ms) {
        if (!(ms > 0)) throw new Error(`a positive sleep needs ms > 0, got ${ms} (a zero sleep is yield())`)
        this.sinceSleep = 0
        this.yields = 0
        this.drain(ms)
    }

    /** A zero sleep: the fiber stays runnable, the main loop does not run. */
    yield() {
        this.yields++
        if (this.yields > this.maxYields) this.maxYields = this.yields
    }

    /** The program has stopped printing and idles: the ring drains to its end (at the link's rate). */
    end() {
        for (let i = 0; i < 100000 && (this.sendFrom === null || this.clock <= this.sendFrom || this.ptr !== this.state); i++) this.drain(1)
    }

    /** Every event of a run, then end(). @param {LogEvent[]} events */
    run(events) {
        for (const e of events) {
            if (e.t === "line") this.log(e.text)
            else if (e.t === "sleep") this.sleep(e.ms)
            else if (e.t === "yield") this.yield()
            else throw new Error(`unknown log event ${JSON.stringify(e)}`)
        }
        this.end()
        return this
    }

    /** What the host read. */
    output() {
        return Buffer.concat(this.chunks)
    }
}
