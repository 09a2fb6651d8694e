/** The membership sources the admin API grants (and may therefore take away). */
export const MANUAL_SOURCE = 'manual';
export const IMPORT_SOURCE = 'import';
