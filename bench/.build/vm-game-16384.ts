import { runVmBench } from "../vm/core"

await runVmBench("game", 16384, 3000, 10)
