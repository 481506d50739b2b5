/** Seeds and length of the differential test's sequences (shared by Node and the VM). */
export const SEEDS = [1, 20261124, 777]
export const STEPS = 400
