// Moddable Commodetto/Poco (modules/commodetto), the parts the display uses; modeled on the
// SDK's typings/commodetto/Poco.d.ts and parseBMF.d.ts.
declare module 'commodetto/Poco' {
  export interface Font {
    readonly height: number;
    readonly ascent: number;
  }
  export interface PixelsOut {
    readonly width: number;
    readonly height: number;
  }
  export interface PocoPrototype {
    begin(x?: number, y?: number, width?: number, height?: number): void;
    end(): void;
    makeColor(r: number, g: number, b: number): number;
    fillRectangle(color: number, x: number, y: number, width: number, height: number): void;
    drawText(text: string, font: Font, color: number, x: number, y: number, width?: number): void;
    getTextWidth(text: string, font: Font): number;
    readonly width: number;
    readonly height: number;
  }
  const Poco: {
    new (pixelsOut: PixelsOut, options?: { displayListLength?: number; rotation?: 0 | 90 | 180 | 270 }): PocoPrototype;
  };
  export default Poco;
  global {
    /** The display, installed by the target's setup (or the simulator). */
    const screen: PixelsOut;
  }
}
declare module 'commodetto/parseBMF' {
  import type { Font } from 'commodetto/Poco';
  export default function parseBMF(data: ArrayBuffer | { readonly byteLength: number }): Font;
}
