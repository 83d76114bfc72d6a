import { fuzzStory } from '../integration/fuzz.test.ts';

describe('the app under a property-based fuzzer (long run)', fuzzStory(100_000, 10));
