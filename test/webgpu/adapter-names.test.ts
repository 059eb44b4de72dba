import { describe, expect, it } from 'vitest';
import { dawnSaid, describeAdapter, isSoftwareAdapter, noAdapterReason } from '../../main/compute/webgpu';

const swiftshader = {
  vendor: 'google',
  architecture: 'swiftshader',
  device: 'swiftshader-device-subzero-',
  description: 'SwiftShader driver 5.0.0',
};
const nvidia = { vendor: 'nvidia', architecture: 'hopper', device: '', description: 'NVIDIA H200' };

describe('webgpu adapters', () => {
  it('tells software adapters from hardware ones by the fallback flag or the driver name', () => {
    expect(isSoftwareAdapter(swiftshader, false)).toBe(true);
    expect(isSoftwareAdapter({ ...nvidia, description: 'llvmpipe (LLVM 15.0.6, 256 bits)' }, false)).toBe(true);
    expect(
      isSoftwareAdapter({ vendor: 'microsoft', architecture: '', device: '', description: 'Microsoft Basic Render Driver' }, false),
    ).toBe(true);
    expect(isSoftwareAdapter(nvidia, true)).toBe(true);
    expect(isSoftwareAdapter(nvidia, false)).toBe(false);
    expect(isSoftwareAdapter({ vendor: 'amd', architecture: 'rdna-3', device: '', description: 'AMD Radeon RX 7900' }, false)).toBe(false);
  });

  it('names the adapter in one line, marking a software one', () => {
    expect(describeAdapter({ ...swiftshader, software: true })).toBe('google / swiftshader / SwiftShader driver 5.0.0 (software adapter)');
    expect(describeAdapter({ ...nvidia, software: false })).toBe('nvidia / hopper / NVIDIA H200');
  });

  it('says when VK_ICD_FILENAMES is not set on Linux, and which driver it named when it is', () => {
    expect(noAdapterReason('linux', {})).toMatch(/VK_ICD_FILENAMES is not set/);
    expect(noAdapterReason('linux', { VK_ICD_FILENAMES: '/x/icd.json' })).toMatch(/VK_ICD_FILENAMES names \(\/x\/icd\.json\)/);
    expect(noAdapterReason('darwin', {})).toMatch(/no WebGPU adapter/);
    expect(noAdapterReason('darwin', {})).not.toMatch(/VK_ICD/);
  });

  it("keeps Dawn's warning from a probe's stderr in one line, without libwayland's noise or the build machine's source path", () => {
    const stderr = [
      'error: XDG_RUNTIME_DIR is invalid or not set in the environment.',
      'error: XDG_RUNTIME_DIR is invalid or not set in the environment.',
      'Warning: Vulkan shaderUniform*ArrayDynamicIndexing required.',
      ' - While initializing adapter (backend=BackendType::Vulkan)',
      '    at InitializeImpl (/home/runner/work/node-webgpu/node-webgpu/third_party/dawn/src/dawn/native/vulkan/PhysicalDeviceVk.cpp:257)',
      '',
    ].join('\n');
    expect(dawnSaid(stderr)).toBe(
      'Vulkan shaderUniform*ArrayDynamicIndexing required, while initializing adapter (backend=BackendType::Vulkan)',
    );
    expect(dawnSaid('error: XDG_RUNTIME_DIR is invalid or not set in the environment.\n')).toBeNull();
    expect(dawnSaid('')).toBeNull();
  });
});
