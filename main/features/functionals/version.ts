/**
 * Bump when the values the functional sets produce change (a descriptor, a functional, a fix):
 * it is part of the hash of vector feature configs, so their caches are recomputed while
 * matrix (MFCC, log-mel) caches keep theirs.
 */
export const FUNCTIONALS_VERSION = 1;
