/**
 * Splits console text into lines, remembering which lines are known to be cut.
 *
 * A line ends at `\n` (a `\r` before it is dropped). A line is **cut** when the
 * device reported a serial gap (FE FA) in the middle of it, when the source
 * broke (disconnect, end of stream) before its `\n`, or when it grew past
 * MAX_LINE bytes (devices cut their lines at 160). The first line after a gap
 * may be the tail of a line whose head was dropped: it is marked `afterGap`.
 *
 * Text is decoded as UTF-8 when it is valid UTF-8 (dump lines are ASCII) and as
 * latin1 otherwise, so no byte is lost or merged.
 */

export const MAX_LINE = 1024

const utf8 = new TextDecoder("utf-8", { fatal: true })

/** @typedef {{ text: string, cut: boolean, afterGap: boolean }} Line */

/** @param {Buffer} bytes */
function decode(bytes) {
    try {
        return utf8.decode(bytes)
    } catch {
        return bytes.toString("latin1")
    }
}

export class LineSplitter {
    constructor() {
        /** @type {Buffer[]} */
        this.parts = []
        this.length = 0
        this.afterGap = false
    }

    /**
     * @param {Buffer} bytes
     * @returns {Line[]}
     */
    push(bytes) {
        /** @type {Line[]} */
        const out = []
        let start = 0
        for (;;) {
            const nl = bytes.indexOf(10, start)
            const end = nl < 0 ? bytes.length : nl
            if (this.length + end - start > MAX_LINE) {
                // overlong: give out what we have as a cut line, keep going
                const take = start + (MAX_LINE - this.length)
                this.parts.push(bytes.subarray(start, take))
                this.length += take - start
                out.push(this.take(true))
                start = take
                continue
            }
            if (nl < 0) {
                if (end > start) {
                    this.parts.push(bytes.subarray(start, end))
                    this.length += end - start
                }
                return out
            }
            this.parts.push(bytes.subarray(start, nl))
            this.length += nl - start
            out.push(this.take(false))
            start = nl + 1
        }
    }

    /** The device dropped data here: the partial line, if any, is cut. @returns {Line[]} */
    gap() {
        const out = this.length ? [this.take(true)] : []
        this.afterGap = true
        return out
    }

    /** The stream ended or broke: the partial line, if any, is cut. @returns {Line[]} */
    end() {
        const out = this.length ? [this.take(true)] : []
        this.afterGap = false
        return out
    }

    /** @param {boolean} cut @returns {Line} */
    take(cut) {
        let bytes = Buffer.concat(this.parts)
        if (!cut && bytes.length && bytes[bytes.length - 1] === 13) bytes = bytes.subarray(0, bytes.length - 1)
        const line = { text: decode(bytes), cut, afterGap: this.afterGap }
        this.parts = []
        this.length = 0
        this.afterGap = false
        return line
    }
}
