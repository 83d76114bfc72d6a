import { fuzzStory } from '../support/fuzz-story.ts';

describe('the app under a property-based fuzzer (fast run)', fuzzStory(10_000, 1));
