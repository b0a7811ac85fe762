/** `drill tools ensure|where`: provision the pinned Temporal tools, or say where they are. */
import { cacheRoot, ensureTool, locateTool, toolVersionLine, type ResolvedTool, type Say, type ToolName } from '../tools/provision';

const TOOLS: ToolName[] = ['temporal', 'test-server'];

export interface ToolsEnsureResult {
  cache: string;
  tools: ResolvedTool[];
}

/** Provisions each tool (progress through `say`); returns where each one is. */
export async function toolsEnsure(say: Say): Promise<ToolsEnsureResult> {
  const tools: ResolvedTool[] = [];
  for (const t of TOOLS) tools.push(await ensureTool(t, { say }));
  return { cache: cacheRoot(), tools };
}

export interface ToolWhere {
  tool: ToolName;
  provisioned: boolean;
  path?: string;
  source?: string;
  version?: string;
  /** First line the tool prints for `--version` (the test server: its pinned version). */
  versionLine?: string;
}

export interface ToolsWhereResult {
  cache: string;
  tools: ToolWhere[];
  /** 1 when a tool is not provisioned. */
  exitCode: 0 | 1;
}

export function toolsWhere(): ToolsWhereResult {
  const tools = TOOLS.map((tool): ToolWhere => {
    const found = locateTool(tool);
    if (!found) return { tool, provisioned: false };
    return {
      tool,
      provisioned: true,
      path: found.path,
      source: found.source,
      version: found.version,
      versionLine: toolVersionLine(found).split('\n')[0] ?? '',
    };
  });
  return { cache: cacheRoot(), tools, exitCode: tools.some((t) => !t.provisioned) ? 1 : 0 };
}

export function describeToolsWhere(r: ToolsWhereResult): string[] {
  return [
    `cache: ${r.cache}`,
    ...r.tools.map((t) => (t.provisioned ? `${t.tool}: ${t.path}  [${t.source}; ${t.versionLine}]` : `${t.tool}: not provisioned (run: drill tools ensure)`)),
  ];
}
