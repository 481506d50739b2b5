/** The median of a list of numbers (the mean of the middle two for an even count); shared by bench/main.ts and bench/bench.mjs. */
export function median(xs) {
    const s = xs.slice().sort((x, y) => x - y)
    const m = s.length >> 1
    return s.length & 1 ? s[m] : (s[m - 1] + s[m]) / 2
}
