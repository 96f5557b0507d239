// Telling a real GPU from a software rasteriser (Mesa's lavapipe/llvmpipe, SwiftShader, Microsoft WARP):
// training on one is correct but slow, so `auto` never picks it.

/** The fields of a GPUAdapterInfo we look at (Dawn fills all of them). */
export interface AdapterDescription {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

const SOFTWARE_NAMES = /llvmpipe|lavapipe|softpipe|swiftshader|\bwarp\b|basic render driver|software/i;

export function isSoftwareAdapter(info: AdapterDescription): boolean {
  if (info.isFallbackAdapter) return true;
  return [info.vendor, info.architecture, info.device, info.description].some((s) => s && SOFTWARE_NAMES.test(s));
}

/** A readable adapter name, e.g. "llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1". */
export function adapterName(info: AdapterDescription): string {
  const name = info.description?.trim() || [info.vendor, info.device].filter(Boolean).join(' ').trim();
  return name || 'unnamed WebGPU adapter';
}
