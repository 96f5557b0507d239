// Without a Vulkan driver Dawn's C++ prints warnings with its build machine's paths to stderr. The trainer asks
// Dawn in a child process (src/trainer/engine/dawnProbe.ts): the user sees one line in our words, nothing of Dawn's.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { explainNoAdapter } from '../../../src/trainer/engine/dawnProbe';

const CLI = join(__dirname, '..', '..', '..', 'dist', 'trainer', 'cli.js');

// What Dawn 0.3.10 printed on a machine whose Vulkan loader finds no driver.
const DAWN_NO_DRIVER = `Warning: vkCreateInstance: Found no drivers!
Warning: vkCreateInstance failed with VK_ERROR_INCOMPATIBLE_DRIVER
    at CheckVkSuccessImpl (/home/runner/work/node-webgpu/node-webgpu/third_party/dawn/src/dawn/native/vulkan/VulkanError.cpp:106)`;

test("Dawn's output is explained in our words: no loader, no driver, nothing recognisable", () => {
  assert.match(explainNoAdapter(DAWN_NO_DRIVER), /^no WebGPU adapter: Vulkan is installed but has no driver/);
  assert.match(
    explainNoAdapter("Warning: Couldn't load Vulkan: libvulkan.so.1: cannot open shared object file"),
    /the Vulkan loader \(libvulkan\) is not installed/,
  );
  assert.match(explainNoAdapter(''), /Dawn found no Vulkan\/Metal\/D3D12 device/);
  for (const s of [DAWN_NO_DRIVER, '']) assert.doesNotMatch(explainNoAdapter(s), /home\/runner|\.cpp|Warning/);
});

test("train --backend webgpu without a Vulkan driver: one line of ours on stderr, none of Dawn's", () => {
  const out = mkdtempSync(join(tmpdir(), 'dc-dawn-'));
  try {
    // The Vulkan loader reads its driver list from these variables: a missing file means no driver at all.
    const env = {
      ...process.env,
      VK_DRIVER_FILES: join(out, 'none.json'),
      VK_ICD_FILENAMES: join(out, 'none.json'),
      DEEPCLUSTER_DEBUG_DAWN: '',
    };
    const r = spawnSync(
      process.execPath,
      [
        CLI,
        'train',
        '--backend',
        'webgpu',
        '--limit',
        '40',
        '--k',
        '4',
        '--epochs',
        '1',
        '--out',
        join(out, 'run'),
        '--cache',
        join(out, 'cache'),
      ],
      { encoding: 'utf8', env, timeout: 120_000 },
    );
    assert.equal(r.status, 2, r.stderr);
    const lines = r.stderr
      .trim()
      .split('\n')
      .filter((l) => !/^decoding images/.test(l));
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /^deepcluster: The webgpu backend is unavailable: no WebGPU adapter: /);
    assert.doesNotMatch(r.stderr, /Warning|CheckVkSuccessImpl|\.cpp|home\/runner/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
