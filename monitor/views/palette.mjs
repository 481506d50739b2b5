/**
 * One colour per map character, shared by the terminal and the web view. The
 * letters and names are docs/serial-format.md's (and src/poolgc/layout.ts's
 * TYPE_LETTERS / PHANTOM_LETTERS / TYPE_NAMES); a tail `=` takes its head's
 * colour.
 *
 * `ansi` is an SGR background colour from the 16 basic ones every terminal has,
 * `fg` the foreground that reads on it. A live object is a dark letter on its
 * type's colour; a phantom (the lower-case letters of a phantom view: an
 * object a collection would free) is the reverse, its type's colour as the
 * letter on black, and on the web a pale tint of its type's colour (which the
 * page also stripes).
 */

/** @typedef {{ char: string, name: string, css: string, ansi: number, fg: number, phantom?: boolean }} Swatch */

/** @type {Swatch[]} */
export const PALETTE = [
    { char: "M", name: "metadata", css: "#64748b", ansi: 100, fg: 97 },
    { char: ".", name: "free", css: "#e2e8f0", ansi: 49, fg: 90 },
    { char: "A", name: "bytes", css: "#f59e0b", ansi: 43, fg: 30 },
    { char: "P", name: "bitmap", css: "#8b5cf6", ansi: 45, fg: 97 },
    { char: "F", name: "number", css: "#10b981", ansi: 42, fg: 30 },
    { char: "S", name: "string", css: "#3b82f6", ansi: 44, fg: 97 },
    { char: "L", name: "list", css: "#ec4899", ansi: 105, fg: 30 },
    { char: "R", name: "record", css: "#06b6d4", ansi: 46, fg: 30 },
    { char: "a", name: "phantom bytes", css: "#fde68a", ansi: 40, fg: 93, phantom: true },
    { char: "p", name: "phantom bitmap", css: "#ddd6fe", ansi: 40, fg: 35, phantom: true },
    { char: "f", name: "phantom number", css: "#a7f3d0", ansi: 40, fg: 92, phantom: true },
    { char: "s", name: "phantom string", css: "#bfdbfe", ansi: 40, fg: 94, phantom: true },
    { char: "l", name: "phantom list", css: "#fbcfe8", ansi: 40, fg: 95, phantom: true },
    { char: "r", name: "phantom record", css: "#a5f3fc", ansi: 40, fg: 96, phantom: true },
    { char: "?", name: "unknown (corrupt)", css: "#ef4444", ansi: 41, fg: 97 },
]

/** @type {Record<string, Swatch>} */
export const SWATCH = Object.fromEntries(PALETTE.map(s => [s.char, s]))

/** The type names of the ` by type:` line, to their map letters. */
export const TYPE_LETTER = Object.fromEntries(PALETTE.filter(s => /^[A-LN-Z]$/.test(s.char)).map(s => [s.name, s.char]))
