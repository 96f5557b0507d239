// Reading PyTorch checkpoints (.pth, .pth.tar, .pt) without Python, and turning DeepCluster's into our models.
export {
  readPytorchCheckpoint,
  parsePytorchCheckpoint,
  PYTORCH_CHECKPOINT_PATTERN,
  type PytorchCheckpoint,
} from './readCheckpoint';
export { PytorchCheckpointError } from './errors';
export {
  describeDeepClusterCheckpoint,
  loadDeepClusterModel,
  findStateDict,
  stateDictFloat32,
  type PytorchModelInfo,
} from './deepclusterModel';
export { tensorToFloat32, isTorchTensor, type TorchTensor, type TorchStorage, type TorchDtype } from './tensor';
export { allowedGlobalNames } from './allowedGlobals';
