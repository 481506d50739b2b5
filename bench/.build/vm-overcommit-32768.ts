import { runVmBench } from "../vm/core"

await runVmBench("overcommit", 32768, 3000, 10)
