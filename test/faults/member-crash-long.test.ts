import { memberCrashStory } from '../support/member-crash.ts';

describe(
  'the member side survives kill -9 (long run)',
  memberCrashStory({
    seconds: 90,
    workers: 4,
    kills: [10, 20, 30, 40, 50, 60, 70, 80].map((at, i) => ({ at, what: i % 2 === 0 ? ('app' as const) : ('redis' as const) })),
  }),
);
