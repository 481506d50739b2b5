import { runVmBench } from "../vm/core"

await runVmBench("overcommit", 16384, 3000, 10)
