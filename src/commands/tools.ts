/** `drill tools ensure|where`: provision the pinned Temporal tools, or say where they are. */
import { cacheRoot, ensureTool, locateTool, toolVersionLine, type ToolName } from '../tools/provision';
import type { Output } from './output';

const TOOLS: ToolName[] = ['temporal', 'test-server'];

export async function toolsEnsure(output: Output): Promise<void> {
  for (const t of TOOLS) await ensureTool(t, { say: (l) => output.out(l) });
}

export function toolsWhere(output: Output): number {
  output.out(`cache: ${cacheRoot()}`);
  let missing = 0;
  for (const t of TOOLS) {
    const found = locateTool(t);
    if (!found) {
      missing++;
      output.out(`${t}: not provisioned (run: drill tools ensure)`);
    } else output.out(`${t}: ${found.path}  [${found.source}; ${toolVersionLine(found).split('\n')[0]}]`);
  }
  return missing ? 1 : 0;
}
