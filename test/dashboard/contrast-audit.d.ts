/** One text on the page: where, what it says, its colour and background (hex) and their WCAG contrast ratio. */
export interface TextContrast {
  what: string;
  text: string;
  fg: string;
  bg: string;
  ratio: number;
}

/** Runs in the page (page.evaluate): every visible text's contrast. See contrast-audit.js. */
export function auditContrast(): TextContrast[];
