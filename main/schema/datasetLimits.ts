/** Below this many clips of a class in a part, what that part is used for rests on too few of them. */
export const MIN_CLIPS_PER_CLASS = 5;
