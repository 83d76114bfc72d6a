import { fuzzStory } from '../support/fuzz-story.ts';

describe('the app under a property-based fuzzer (long run)', fuzzStory(100_000, 10));
