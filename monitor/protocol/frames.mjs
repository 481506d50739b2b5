/**
 * Strips Jacdac frames from a DeviceScript USB serial stream, keeping the
 * console text byte for byte.
 *
 * The wire format (jacdac `services/usbbridge.md`, jacdac-c `jd_usb.c`): the
 * text is interleaved with Jacdac frames, and 0xFE is the framing byte:
 *
 * | bytes   | meaning |
 * | ------- | ------- |
 * | `FE F8` | a literal 0xFE (in text or in a frame) |
 * | `FE F9` | reserved: ignored |
 * | `FE FA` | the device dropped some serial (log) data here: a "serial gap" |
 * | `FE FB` | the device dropped some Jacdac frames here: ignored |
 * | `FE FC` | a frame (fragment) starts |
 * | `FE FD` | the frame (fragment) ends |
 * | `FE xx` | any other xx: in text, a literal 0xFE and then xx (xx = FE starts a new escape); in a frame, the frame is broken: its bytes, start marker included, are given back as text |
 *
 * Frames only flow after the host asks for packets, so a plain reader mostly
 * sees text, but it must handle all of the above. A frame longer than
 * MAX_FRAME bytes without an end is not a frame (garbage that looked like a
 * start): its bytes are given back as text too, so text is never swallowed for good.
 */

const MAGIC = 0xfe
const LITERAL = 0xf8
const RESERVED = 0xf9
const SERIAL_GAP = 0xfa
const FRAME_GAP = 0xfb
const FRAME_START = 0xfc
const FRAME_END = 0xfd

/** A Jacdac frame is at most 252 + 12 bytes; escaped, at most twice that. */
export const MAX_FRAME = 1024

/**
 * @typedef {{ type: "text", bytes: Buffer } | { type: "gap" }} StreamItem
 *   `gap`: the device reported that it dropped log data at this point (FE FA).
 * @typedef {{ frames: number, brokenFrames: number, serialGaps: number, frameGaps: number }} FrameCounters
 */

export class FrameStripper {
    constructor() {
        /** true after a 0xFE whose next byte has not arrived yet */
        this.escape = false
        /** inside FE FC ... FE FD */
        this.inFrame = false
        /** @type {number[]} the current frame's raw bytes (start marker included), to give back if it breaks */
        this.frame = []
        /** @type {FrameCounters} */
        this.counters = { frames: 0, brokenFrames: 0, serialGaps: 0, frameGaps: 0 }
    }

    /**
     * Feeds raw bytes; returns the text and gap markers they complete, in order.
     * @param {Uint8Array} chunk
     * @returns {StreamItem[]}
     */
    push(chunk) {
        /** @type {StreamItem[]} */
        const out = []
        /** @type {number[]} */
        let text = []
        const flushText = () => {
            if (text.length) out.push({ type: "text", bytes: Buffer.from(text) })
            text = []
        }
        const giveBack = () => {
            // a broken frame: its bytes were text after all
            this.counters.brokenFrames++
            for (const b of this.frame) text.push(b)
            this.frame = []
            this.inFrame = false
        }
        for (const b of chunk) {
            if (this.escape) {
                this.escape = false
                if (this.inFrame) {
                    if (b === FRAME_END) {
                        this.counters.frames++
                        this.frame = []
                        this.inFrame = false
                    } else if (b === FRAME_START) {
                        // a new fragment without the end of the last: drop the last
                        this.counters.brokenFrames++
                        this.frame = [MAGIC, FRAME_START]
                    } else if (b === LITERAL || b === RESERVED || b === FRAME_GAP) {
                        this.frame.push(MAGIC, b)
                    } else if (b === SERIAL_GAP) {
                        this.counters.serialGaps++
                        flushText()
                        out.push({ type: "gap" })
                    } else {
                        this.frame.push(MAGIC)
                        giveBack()
                        if (b === MAGIC) this.escape = true
                        else text.push(b)
                    }
                    continue
                }
                if (b === LITERAL) text.push(MAGIC)
                else if (b === RESERVED) {
                    // ignored
                } else if (b === SERIAL_GAP) {
                    this.counters.serialGaps++
                    flushText()
                    out.push({ type: "gap" })
                } else if (b === FRAME_GAP) this.counters.frameGaps++
                else if (b === FRAME_START) {
                    this.inFrame = true
                    this.frame = [MAGIC, FRAME_START]
                } else if (b === FRAME_END) {
                    // an end without a start: nothing to close
                } else if (b === MAGIC) {
                    text.push(MAGIC)
                    this.escape = true
                } else text.push(MAGIC, b)
                continue
            }
            if (b === MAGIC) {
                this.escape = true
                continue
            }
            if (this.inFrame) {
                this.frame.push(b)
                if (this.frame.length > MAX_FRAME) giveBack()
            } else text.push(b)
        }
        flushText()
        return out
    }

    /**
     * The stream ended (or broke: a disconnect). A pending 0xFE is text; an
     * unfinished frame is dropped. Returns the last text, if any.
     * @returns {StreamItem[]}
     */
    end() {
        /** @type {StreamItem[]} */
        const out = []
        if (this.escape && !this.inFrame) out.push({ type: "text", bytes: Buffer.from([MAGIC]) })
        this.escape = false
        this.inFrame = false
        this.frame = []
        return out
    }
}
