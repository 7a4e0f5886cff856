// Entry of the backend worker (bundled as dist/backend-worker.js; run from source under tsx in tests).
// Everything heavy happens on this thread: GGUF load, GPU encoding and waits, sampling, tokenizing,
// chat-template rendering, context packing, summaries. The host thread only lists and reads files.
import { parentPort, workerData } from 'node:worker_threads';
import { Engine } from '../../gpu/engine/index';
import { parseToWorker, type ToHost, type WorkerOptions } from './protocol';
import { BackendService } from './service';
import { shareCpuSections } from '../core/util/cpu-section';

const port = parentPort;
if (!port) throw new Error('backend-worker must run in a worker thread');
const post = (m: ToHost, transfer?: ArrayBuffer[]): void => port.postMessage(m, transfer);
const data = (workerData ?? {}) as WorkerOptions & { cpuSections?: SharedArrayBuffer };
if (data.cpuSections) shareCpuSections(new Int32Array(data.cpuSections));
const service = new BackendService(post, Engine, data);
port.on('message', (raw: unknown) => {
  let m;
  try {
    m = parseToWorker(raw);
  } catch (e) {
    post({ type: 'log', line: e instanceof Error ? e.message : String(e) });
    return;
  }
  if (m.type === 'shutdown') {
    // Free the GPU device, let Dawn settle its outstanding promises (a thread ending with one pending
    // aborts the whole process), then end the thread.
    service.dispose();
    port.close();
    setTimeout(() => process.exit(0), 200);
    return;
  }
  service.handle(m);
});
