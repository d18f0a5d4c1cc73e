/** LLM worker process: one loaded GGUF model serving an engine in its parent process (see lib/answer/llm). */
import { runLlmWorker } from "@/lib/answer/llm/worker";

runLlmWorker();
