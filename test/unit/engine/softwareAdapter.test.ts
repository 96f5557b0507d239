import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adapterName, isSoftwareAdapter } from '../../../src/trainer/engine/softwareAdapter';

test('software adapters are recognised by fallback flag, architecture or name', () => {
  // What Dawn reports for Mesa's lavapipe here.
  const lavapipe = {
    vendor: 'mesa',
    architecture: 'software',
    device: 'llvmpipe-llvm-15-0-6-256-bits-',
    description: 'llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1',
    isFallbackAdapter: true,
  };
  assert.equal(isSoftwareAdapter(lavapipe), true);
  assert.equal(isSoftwareAdapter({ ...lavapipe, isFallbackAdapter: false, architecture: '' }), true, 'by name alone');
  assert.equal(isSoftwareAdapter({ vendor: 'google', device: 'SwiftShader Device (Subzero)', description: '' }), true);
  assert.equal(isSoftwareAdapter({ vendor: 'microsoft', description: 'Microsoft Basic Render Driver' }), true);
  assert.equal(
    isSoftwareAdapter({ vendor: 'nvidia', architecture: 'hopper', device: '', description: 'NVIDIA H100 80GB HBM3' }),
    false,
  );
  assert.equal(
    isSoftwareAdapter({ vendor: 'intel', architecture: 'gen-12lp', description: 'Intel(R) UHD Graphics 770' }),
    false,
  );
  assert.equal(adapterName(lavapipe), 'llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1');
  assert.equal(adapterName({ vendor: 'nvidia', device: 'H100' }), 'nvidia H100');
  assert.equal(adapterName({}), 'unnamed WebGPU adapter');
});
