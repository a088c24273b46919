/** 1-Wire ROM command codes (shared by every 1-Wire device). */
export const SEARCH_ROM = 0xf0;
export const READ_ROM = 0x33;
export const MATCH_ROM = 0x55;
export const SKIP_ROM = 0xcc;
export const ALARM_SEARCH = 0xec;
