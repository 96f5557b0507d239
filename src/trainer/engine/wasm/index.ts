export { registerWasmGradientKernels, wasmGradientKernelConfigs } from './registerGradientKernels';
export { conv2DBackpropFilter } from './conv2dBackpropFilter';
export { conv2DBackpropInput } from './conv2dBackpropInput';
export { installWasmHeapGuard, WasmHeapExhausted, WASM_HEAP_MAX_BYTES } from './heapGuard';
