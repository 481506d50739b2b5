import { runVmBench } from "../vm/core"

await runVmBench("game", 32768, 3000, 10)
