/** Messages between the bench and its server processes (over the child-process IPC channel). */
import type { FloorAnswer } from './floors.ts';

/** The app, the two bare-Express baselines, and the floor stand-in of every Redis-touching step (floors.ts). */
export type ServerKind = 'app' | 'twiml-baseline' | 'json-baseline' | 'floor';

export type ParentMessage = { type: 'start'; twiml?: string; answers?: Record<string, FloorAnswer> } | { type: 'stop' } | { type: 'cpu?' };

export type ChildMessage = { type: 'ready'; port: number } | { type: 'usage'; rss: number; cpuMicros: number } | { type: 'cpu'; cpuMicros: number };
