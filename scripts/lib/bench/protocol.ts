/** Messages between the bench and its server processes (over the child-process IPC channel). */
export type ServerKind = 'app' | 'twiml-baseline' | 'json-baseline';

export type ParentMessage = { type: 'start'; twiml?: string } | { type: 'stop' } | { type: 'cpu?' };

export type ChildMessage = { type: 'ready'; port: number } | { type: 'usage'; rss: number; cpuMicros: number } | { type: 'cpu'; cpuMicros: number };
