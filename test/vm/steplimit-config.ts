/**
 * Empty-loop iterations burnt before each worst-case operation: 7280 x 9 ops
 * = 65,520 ops, half of the VM's 131,072-op slice. So each operation must fit
 * in the other half, leaving the program that calls it at least as much.
 */
export const HEADROOM_ITERS = 7280
