import { memberCrashStory } from '../support/member-crash.ts';

describe(
  'the member side survives kill -9 (fast run)',
  memberCrashStory({ seconds: 18, workers: 4, kills: [{ at: 5, what: 'app' }, { at: 12, what: 'redis' }] }),
);
