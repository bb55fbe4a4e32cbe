import { describe, expect, it } from 'vitest';
import { currentNodeBuild, loadNativeUws, type NodeBuild, nativeUwsProblem } from './uws.js';

const node20: NodeBuild = { version: 'v20.20.2', platform: 'linux', arch: 'x64', abi: '115', glibc: '2.36' };
const shipped = ['uws_linux_x64_108.node', 'uws_linux_x64_115.node', 'uws_darwin_arm64_115.node'];

describe('nativeUwsProblem', () => {
  it('on the right Node, with the binary present, says to reinstall and names the load error, not "use Node 20"', () => {
    const text = nativeUwsProblem(node20, shipped, 'GLIBC_2.38 not found');
    expect(text).toContain('GLIBC_2.38 not found');
    expect(text).toContain('npm ci');
    expect(text).toContain('Node v20.20.2 on linux/x64 (ABI 115, glibc 2.36)');
    expect(text).not.toContain('Use Node.js 20');
    expect(text).not.toContain('\n');
  });

  it('on musl suggests a glibc-based image', () => {
    expect(nativeUwsProblem({ ...node20, glibc: null }, shipped, 'Error relocating')).toContain('musl');
  });

  it('on another Node ABI says to use Node 20', () => {
    const text = nativeUwsProblem({ ...node20, version: 'v22.1.0', abi: '127' }, shipped, null);
    expect(text).toContain('looked for uws_linux_x64_127.node');
    expect(text).toContain('use Node.js 20');
  });

  it('on a platform without any binary says so', () => {
    expect(nativeUwsProblem({ ...node20, platform: 'freebsd' }, shipped, null)).toContain(
      'no binary for freebsd/x64 at all',
    );
  });
});

describe('loadNativeUws', () => {
  it('loads the native binary on this machine', () => {
    expect(currentNodeBuild().abi).toBe(process.versions.modules);
    expect(typeof loadNativeUws().App).toBe('function');
    expect(typeof loadNativeUws().LIBUS_LISTEN_EXCLUSIVE_PORT).toBe('number');
  });
});
