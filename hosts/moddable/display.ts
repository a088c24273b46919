import Poco from 'commodetto/Poco';
import type { Font, PocoPrototype } from 'commodetto/Poco';
import parseBMF from 'commodetto/parseBMF';
import Resource from 'Resource';
import type { Display, DisplayModel } from '../../src/platform';
import { withReplacementMarks, wrapText, type TextMeasure } from './text-layout';

/**
 * DisplayModel on a 240x320 (or 320x240) screen with Poco: large current temperature, the
 * sensor list, a status line, the last C2D message with its time, an anomaly badge, and an
 * identify flash. Poco redraws the whole frame; a model renders in a few milliseconds.
 *
 * Fonts (hosts/moddable/fonts, made by scripts/make-display-fonts.py, compressed by mcconfig):
 * DejaVu Sans Bold 16 px with Basic Latin, Latin-1, Latin Extended-A and the common typographic
 * marks, so names and messages show their umlauts, accents, dashes and °; 48 px digits for the
 * temperature. A character the font lacks (CJK, emoji) shows as U+FFFD, not as nothing.
 */
export class PocoDisplay implements Display {
  private readonly poco: PocoPrototype;
  private readonly large: Font;
  private readonly small: Font;
  private readonly colors: Record<'bg' | 'fg' | 'dim' | 'ok' | 'warn' | 'bad' | 'flash' | 'accent', number>;

  constructor(
    private readonly clock: { epochMs(): number | undefined } = { epochMs: () => undefined },
  ) {
    this.poco = new Poco(screen, { displayListLength: 4096 });
    this.large = parseBMF(new Resource('DejaVuSans-Bold-48.bf4'));
    this.small = parseBMF(new Resource('DejaVuSans-Bold-16.bf4'));
    const p = this.poco;
    this.colors = {
      bg: p.makeColor(0, 0, 0),
      fg: p.makeColor(255, 255, 255),
      dim: p.makeColor(150, 150, 150),
      ok: p.makeColor(64, 200, 64),
      warn: p.makeColor(240, 180, 0),
      bad: p.makeColor(230, 40, 40),
      flash: p.makeColor(255, 255, 255),
      accent: p.makeColor(80, 160, 255),
    };
  }

  render(model: DisplayModel): void {
    const p = this.poco;
    const c = this.colors;
    const w = p.width;
    const h = p.height;
    const line = this.small.height + 2;
    p.begin();
    if (model.identify) {
      // Identify: an inverted frame with the device id, so a person can find the unit.
      p.fillRectangle(c.flash, 0, 0, w, h);
      this.center(model.deviceId || 'identify', this.small, c.bg, (h - this.small.height) >> 1);
      p.end();
      return;
    }
    p.fillRectangle(c.bg, 0, 0, w, h);

    // Status line: network, hub, outbox depth.
    const hubColor = model.status.hub === 'connected' ? c.ok : model.status.network === 'up' ? c.warn : c.bad;
    p.fillRectangle(hubColor, 0, 0, w, line + 2);
    p.drawText(`wifi ${model.status.network}  hub ${model.status.hub}  out ${model.status.outbox}`, this.small, c.bg, 4, 1, w - 8);

    // Current temperature: the first online sensor, large.
    const first = model.sensors.find((s) => s.celsius !== undefined);
    const big = first?.celsius !== undefined ? `${first.celsius.toFixed(1)} °C` : '--.- °C';
    let y = line + 8;
    this.center(big, this.large, first?.anomaly ? c.bad : c.fg, y);
    y += this.large.height;
    if (model.anomaly || model.alarm) {
      // A limit alarm outranks an anomaly: it is the user's own threshold.
      const badge = model.alarm ? 'ALARM' : 'ANOMALY';
      const bw = p.getTextWidth(badge, this.small) + 12;
      p.fillRectangle(model.alarm ? c.warn : c.bad, (w - bw) >> 1, y, bw, line + 2);
      this.center(badge, this.small, model.alarm ? c.bg : c.fg, y + 1);
    }
    y += line + 6;

    // Sensor list.
    const messageTop = h - 3 * line - 4;
    for (const s of model.sensors) {
      if (y + line > messageTop) break;
      const mark = s.status !== 'online' ? '' : s.alarm !== undefined ? (s.alarm === 'high' ? 'HI ' : 'LO ') : s.anomaly ? '! ' : '';
      const value = s.celsius !== undefined ? `${mark}${s.celsius.toFixed(2)} °C` : s.status;
      const color = s.status === 'online' ? (s.alarm !== undefined ? c.warn : s.anomaly ? c.bad : c.fg) : s.status === 'missing' ? c.dim : c.warn;
      p.drawText(this.printable(s.name || s.id), this.small, color, 4, y, w - 90);
      p.drawText(value, this.small, color, w - 4 - p.getTextWidth(value, this.small), y);
      y += line;
    }
    if (model.sensors.length === 0) p.drawText('no sensors', this.small, c.dim, 4, y);

    // Last C2D message with its time.
    p.fillRectangle(c.dim, 0, messageTop, w, 1);
    if (model.message) {
      const when = model.message.receivedAt !== undefined ? clockText(model.message.receivedAt) : '';
      const head = `${this.printable(model.message.sender ?? 'cloud')} ${when}`;
      p.drawText(head, this.small, c.accent, 4, messageTop + 3, w - 8);
      const lines = wrapText(this.printable(model.message.text), this.measureSmall, w - 8, 2);
      for (let i = 0; i < lines.length; i++) p.drawText(lines[i]!, this.small, c.fg, 4, messageTop + 3 + (i + 1) * line, w - 8);
    } else {
      p.drawText(this.clockLine(), this.small, c.dim, 4, messageTop + 3, w - 8);
    }
    p.end();
  }

  private readonly measureSmall: TextMeasure = { width: (text) => this.poco.getTextWidth(text, this.small) };

  /** Text with a replacement mark for each character the small font cannot draw. */
  private printable(text: string): string {
    return withReplacementMarks(text, this.measureSmall);
  }

  private clockLine(): string {
    const now = this.clock.epochMs();
    return now === undefined ? 'time not synced' : `${clockText(now)} UTC`;
  }

  private center(text: string, font: Font, color: number, y: number): void {
    const x = (this.poco.width - this.poco.getTextWidth(text, font)) >> 1;
    this.poco.drawText(text, font, color, x < 0 ? 0 : x, y, this.poco.width);
  }
}

/** hh:mm:ss of an epoch time (UTC), or of a monotonic time when it is small. */
function clockText(ms: number): string {
  const total = Math.floor(ms / 1000);
  const two = (n: number) => (n < 10 ? `0${n}` : `${n}`);
  return `${two(Math.floor(total / 3600) % 24)}:${two(Math.floor(total / 60) % 60)}:${two(total % 60)}`;
}
