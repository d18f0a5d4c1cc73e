/** Media worker process: speech recognition, speech synthesis and lip-sync for the web process (see lib/media). */
import { runMediaWorker } from "@/lib/media/worker-host";

runMediaWorker();
