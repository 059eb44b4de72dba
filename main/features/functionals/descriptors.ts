/** How many of the repeated descriptors there are (shared by the LLD code and the set definitions). */
export const AUDITORY_BANDS = 26;
export const MFCC_COUNT = 14;
export const ROLLOFF_PERCENTS = [25, 50, 75, 90] as const;
