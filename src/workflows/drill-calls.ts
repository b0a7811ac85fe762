/**
 * The weekly drill's activity handles — one proxy per activity profile, a summary per call (shown in
 * the Web UI) — and its two workflow-time helpers.
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { chaosCourse, chaosFault, drillProbe, drillProbeLocal, drillProcess, drillWait, paging, shortIo, shortIoLocal } from './activity-profiles';

export const probe = (summary: string) => proxyActivities<Activities>({ ...drillProbe, summary });
export const processCall = (summary: string) => proxyActivities<Activities>({ ...drillProcess, summary });
export const io = (summary: string) => proxyActivities<Activities>({ ...shortIo, summary });
export const pager = (summary: string) => proxyActivities<Activities>({ ...paging, summary });
export const faultCall = (summary: string) => proxyActivities<Activities>({ ...chaosFault, summary });
export const waitCall = (summary: string) => proxyActivities<Activities>({ ...drillWait, summary });
export const courseCall = (summary: string) => proxyActivities<Activities>({ ...chaosCourse, summary });
export const localProbe = (summary: string) => proxyLocalActivities<Activities>({ ...drillProbeLocal, summary });
export const localIo = (summary: string) => proxyLocalActivities<Activities>({ ...shortIoLocal, summary });

export const iso = () => new Date().toISOString();
export const ms = (s: number) => Math.round(s * 1000);
