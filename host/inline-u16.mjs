/**
 * The Node.js side of the seam, at build time: rewrites the device code's u16
 * field accesses into plain byte operations before Node runs it.
 *
 * Why: on the DeviceScript VM `buf.getAt(off, "u16")` with a constant format
 * compiles to one `load_buffer` opcode (about 3 VM operations with its
 * operands, against 9 for `buf[off] | (buf[off + 1] << 8)`, read from
 * `devs disasm`), so the device code uses getAt/setAt. In Node the same calls
 * go through host/platform.ts's shim, which V8 stops inlining once a large
 * function such as Pool.alloc has spent its inlining budget: measured, the
 * allocator runs at half its speed (BENCHMARKS.md). So for Node (vitest, the
 * bench) this rewrite turns each such call into the byte form V8 compiles to
 * a few machine instructions:
 *
 *   R.getAt(OFF, "u16")         ->  (R[OFF] | (R[(OFF) + 1] << 8))
 *   R.setAt(OFF, "u16", VAL)    ->  R[(OFF) + 1] = (R[OFF] = VAL) >> 8      (a statement)
 *
 * `R[OFF] = VAL` evaluates to VAL itself (not the stored byte), so VAL is
 * evaluated once and its high byte goes to OFF + 1. OFF is evaluated twice,
 * so a call is rewritten only when OFF is pure: names, `this.x` fields,
 * numbers, arithmetic and bit operators and parentheses, no call, no index,
 * no assignment. R is a name or `this.name`. Anything else is left as it was
 * (still correct, through the shim, only slower).
 *
 * Same results as the shim for what the device code does with these fields:
 * an in-range offset, a value 0..0xffff. Outside that the shim imitates the
 * VM (getAt past the end returns undefined, setAt saturates) and the byte form
 * does not; the device code never relies on either (verify() and the
 * differential test against the real VM would show it), and
 * test/device/inline-u16.test.ts checks the equivalence on in-range values.
 */

/** A receiver: `buf`, `this.buf`. */
const RECEIVER = /^(?:this\.)?[A-Za-z_$][\w$]*$/
/** Characters a pure offset or value may use (no brackets, no assignment, no strings). */
const PURE_CHARS = /^[\w$\s.+\-*%<>&|^~()]+$/

/** True if `expr` is a pure expression this rewrite may evaluate twice. */
export function isPure(expr) {
    if (!PURE_CHARS.test(expr)) return false
    // no call: a name (or a number) directly followed by "("
    if (/[\w$]\s*\(/.test(expr)) return false
    // no increment or decrement (assignments and comparisons have "=", which PURE_CHARS rejects)
    if (/\+\+|--/.test(expr)) return false
    // balanced parentheses
    let depth = 0
    for (const c of expr) {
        if (c === "(") depth++
        else if (c === ")" && --depth < 0) return false
    }
    return depth === 0
}

/**
 * Splits the argument list that starts just after `open` (the index of a "(")
 * at its top-level commas, up to the matching ")". Returns the arguments'
 * texts and the index just past the ")", or null if the list does not close
 * or holds a string, template or comment (not a shape this rewrite handles).
 */
function splitArgs(src, open) {
    const args = []
    let depth = 0
    let start = open + 1
    for (let i = open + 1; i < src.length; i++) {
        const c = src[i]
        if (c === "(" || c === "[" || c === "{") depth++
        else if (c === ")" || c === "]" || c === "}") {
            if (depth === 0) {
                if (c !== ")") return null
                args.push(src.slice(start, i))
                return { args, end: i + 1 }
            }
            depth--
        } else if (c === "," && depth === 0) {
            args.push(src.slice(start, i))
            start = i + 1
        } else if (c === "'" || c === "`" || (c === "/" && (src[i + 1] === "/" || src[i + 1] === "*"))) return null
        else if (c === '"') {
            // only the format literal may be a string: find its end
            const close = src.indexOf('"', i + 1)
            if (close < 0) return null
            i = close
        }
    }
    return null
}

/**
 * True if the call at `at` starts a statement: what comes before it (past
 * spaces and line breaks) is nothing, "{", ";", "}", the ")" of an `if (...)`
 * or loop head, `else`, or, across a line break, the end of an expression
 * (a name, number, "]", ")" or a quote: automatic semicolon insertion). After
 * an operator, "(", "[", "," or "=" the call is inside an expression.
 */
function statementStart(src, at, inner) {
    let i = at - 1
    let nl = false
    while (i >= 0 && /\s/.test(src[i])) {
        if (src[i] === "\n") nl = true
        i--
    }
    if (i < 0) return !inner
    const c = src[i]
    if (c === "{" || c === ";" || c === "}" || c === ")") return true
    if (/[\w$]/.test(c) && src.slice(Math.max(0, i - 4), i + 1).match(/(^|[^\w$])else$/)) return true
    return nl && /[\w$\]"'`]/.test(c)
}

/**
 * Rewrites every `R.getAt(OFF, "u16")` and every `R.setAt(OFF, "u16", VAL)`
 * statement with a pure OFF (and a receiver R as above) into byte operations;
 * VAL is rewritten too. Returns the new source and how many calls were
 * rewritten and left (`inner`: `src` is an expression, the value of a store,
 * not statements). A store is rewritten only where it is a statement (its
 * form is an assignment, which an operator around it would bind wrongly); a
 * read only where it is not the start of one (its form opens with "(", which
 * would continue the line before it: the device code has no semicolons).
 */
export function inlineU16(src, inner = false) {
    let out = ""
    let last = 0
    let rewritten = 0
    let left = 0
    const call = /((?:this\.)?[A-Za-z_$][\w$]*)\.(getAt|setAt)\(/g
    for (let m; (m = call.exec(src)) !== null; ) {
        // the whole receiver: not the tail of a longer chain (`pool.buf.getAt`)
        if (m.index > 0 && /[\w$.]/.test(src[m.index - 1])) continue
        const recv = m[1]
        const open = m.index + m[0].length - 1
        const split = splitArgs(src, open)
        if (split === null) continue
        const args = split.args.map(a => a.trim())
        const isGet = m[2] === "getAt"
        if (args.length !== (isGet ? 2 : 3) || args[1] !== '"u16"') continue
        const off = args[0]
        const atStart = statementStart(src, m.index, inner)
        if (!RECEIVER.test(recv) || !isPure(off) || isGet === atStart) {
            left++
            continue
        }
        let text
        if (isGet) text = `(${recv}[${off}] | (${recv}[(${off}) + 1] << 8))`
        else {
            const val = inlineU16(args[2], true)
            rewritten += val.rewritten
            left += val.left
            text = `${recv}[(${off}) + 1] = (${recv}[${off}] = ${val.code}) >> 8`
        }
        out += src.slice(last, m.index) + text
        last = split.end
        call.lastIndex = split.end
        rewritten++
    }
    return { code: out + src.slice(last), rewritten, left }
}

/** The device sources the rewrite applies to: poolgc's own modules. */
export const INLINE_U16_FILES = /[\\/]src[\\/]poolgc[\\/][^\\/]+\.ts$/
