// The baseline Worker with its R2 binding counted (wrap.js).
import baseline from "../baseline-worker/index.js";
import { countingWorker } from "./wrap.js";

export default countingWorker(baseline);
