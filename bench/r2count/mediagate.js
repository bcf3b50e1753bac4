// mediagate's shim with its R2 binding counted (wrap.js).
import shim from "../../worker-shim/index.js";
import { countingWorker } from "./wrap.js";

export default countingWorker(shim);
