// The dialpass app as a process of its own, for fault tests that SIGKILL it: the real server.ts
// wiring (HTTP app and background worker), configured by the environment the test passes.
// Usage: node --import tsx test/support/app-child.ts   (with an IPC channel; sends {port} once listening)
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../src/config.ts';
import { startServer } from '../../src/server.ts';

const running = await startServer(loadConfig());
process.send?.({ port: (running.server.address() as AddressInfo).port });
process.on('SIGTERM', () => void running.close().then(() => process.exit(0)));
