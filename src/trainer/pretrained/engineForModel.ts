// embed and cluster --model learn the network (and with it what `auto` should time) by reading a checkpoint, which
// makes tensors. With `auto` the checkpoint is read on the cpu backend first (stageOnCpu.ts), then forward batches
// of that network are timed on each backend that loads; a named backend starts first, as before.
import type { BackendRequest } from '../../protocol/config';
import type { EngineInfo } from '../../protocol/engine';
import { initEngine, stageOnCpu } from '../engine';
import type { ConvNet } from '../model';
import { forwardEngineOptions } from '../train/measureForward';

export async function engineForModel<T extends { net: ConvNet }>(
  request: BackendRequest,
  load: () => Promise<T>,
  batch: number,
  cacheDir: string | undefined,
  log: (line: string) => void,
): Promise<{ engine: EngineInfo; model: T }> {
  if (request !== 'auto') {
    const engine = await initEngine(request, { log });
    return { engine, model: await load() };
  }
  await stageOnCpu();
  const model = await load();
  try {
    const options = forwardEngineOptions('auto', model.net.options, batch, cacheDir, log);
    return { engine: await initEngine('auto', options), model };
  } catch (e) {
    model.net.dispose();
    throw e;
  }
}
