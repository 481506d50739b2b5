/**
 * Argument checks shared by the pool's layers: each throws ArgumentError
 * naming the argument, the range it must lie in and what it got. The hot
 * paths check inline instead (a call costs the VM about four Buffer reads)
 * and throw intError()'s error.
 */
import { ArgumentError } from "./errors"

/** True for an int32 number (and nothing else). */
export function isInt(v: number): boolean {
    return typeof v === "number" && (v | 0) === v
}

/** An optional boolean option: undefined, true or false, else ArgumentError. */
export function boolArg(v: boolean, what: string): void {
    if (v !== undefined && v !== true && v !== false) throw new ArgumentError(what + " must be true or false, got " + v)
}

/** `v` if it is an integer from `lo` to `hi`, else ArgumentError naming `what`. */
export function intArg(v: number, what: string, lo: number, hi: number): number {
    if (!isInt(v) || v < lo || v > hi) throw intError(v, what, lo, hi)
    return v
}

/**
 * intArg()'s error, for the hot paths that check inline: `(v | 0) !== v`
 * (true for anything but an int32 number) || v < lo || v > hi.
 */
export function intError(v: number, what: string, lo: number, hi: number): ArgumentError {
    return new ArgumentError(what + " must be an integer from " + lo + " to " + hi + ", got " + v)
}

