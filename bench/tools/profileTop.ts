import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { parseArgs } from 'node:util';

/** The parts of a V8 .cpuprofile this tool reads. */
interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
    readonly children?: readonly number[];
  }[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/**
 * Summarize a server CPU profile (written by `npm run bench -- --profile`): self time by function and by file,
 * and total (inclusive) time of the functions that matter. Usage: node dist/bench/tools/profileTop.js FILE [--top N]
 */
function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '25' } },
  });
  const top = Number(values.top);
  for (const file of positionals) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const selfUs = new Map<number, number>();
    let totalUs = 0;
    for (let i = 0; i < profile.samples.length; i++) {
      const dt = profile.timeDeltas[i] ?? 0;
      selfUs.set(profile.samples[i]!, (selfUs.get(profile.samples[i]!) ?? 0) + dt);
      totalUs += dt;
    }
    const label = (id: number) => {
      const f = byId.get(id)!.callFrame;
      const url = f.url.startsWith('file://') ? relative(process.cwd(), new URL(f.url).pathname) : f.url;
      return `${f.functionName || '(anonymous)'} ${url}${url ? `:${f.lineNumber + 1}` : ''}`;
    };
    const fileOf = (id: number) => {
      const url = byId.get(id)!.callFrame.url;
      if (url === '')
        return byId.get(id)!.callFrame.functionName.startsWith('(') ? byId.get(id)!.callFrame.functionName : '(native)';
      const path = url.startsWith('file://') ? relative(process.cwd(), new URL(url).pathname) : url;
      return path.includes('node_modules/')
        ? `node_modules/${path
            .split('node_modules/')[1]!
            .split('/')
            .slice(0, path.includes('@') ? 2 : 1)
            .join('/')}`
        : path;
    };
    const selfByFn = new Map<string, number>();
    const selfByFile = new Map<string, number>();
    const inclusive = new Map<string, number>();
    for (const [id, us] of selfUs) {
      selfByFn.set(label(id), (selfByFn.get(label(id)) ?? 0) + us);
      selfByFile.set(fileOf(id), (selfByFile.get(fileOf(id)) ?? 0) + us);
      const seen = new Set<string>();
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        const name = label(at);
        if (seen.has(name)) continue;
        seen.add(name);
        inclusive.set(name, (inclusive.get(name) ?? 0) + us);
      }
    }
    const show = (title: string, map: Map<string, number>) => {
      console.log(`\n${title}`);
      for (const [name, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
        console.log(
          `${((us / totalUs) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${name}`,
        );
      }
    };
    console.log(`${file}: ${(totalUs / 1e6).toFixed(2)} s sampled`);
    show('self time by function', selfByFn);
    show('self time by file', selfByFile);
    show('inclusive time by function', inclusive);
  }
}

main();
